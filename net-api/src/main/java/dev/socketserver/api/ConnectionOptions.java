package dev.socketserver.api;

import java.time.Duration;
import java.util.Objects;

/**
 * The per-connection settings of stream servers and clients: timeouts and buffer sizes.
 *
 * <p>Immutable and thread-safe.
 *
 * @param readTimeout how long a read waits for data; {@link Duration#ZERO} for ever
 * @param writeTimeout how long a write waits for the peer; {@link Duration#ZERO} for ever
 * @param readBufferSize the size of the input buffer (Python's {@code rbufsize}), at least 1;
 *     it is borrowed from a pool while data is waiting and given back when it is consumed, so an
 *     idle connection holds none
 * @param writeBufferSize the size of the output buffer (Python's {@code wbufsize}); 0 for
 *     unbuffered output, where every write goes straight to the socket
 */
public record ConnectionOptions(
    Duration readTimeout, Duration writeTimeout, int readBufferSize, int writeBufferSize) {

  /** The largest buffer size accepted: 16 MiB. */
  public static final int MAX_BUFFER_SIZE = 1 << 24;

  private static final ConnectionOptions DEFAULTS =
      new ConnectionOptions(Duration.ZERO, Duration.ZERO, 8192, 8192);

  /**
   * Checks the settings.
   *
   * @throws IllegalArgumentException if a timeout is negative or a buffer size out of range
   */
  public ConnectionOptions {
    requireTimeout("readTimeout", readTimeout);
    requireTimeout("writeTimeout", writeTimeout);
    if (readBufferSize < 1 || readBufferSize > MAX_BUFFER_SIZE) {
      throw new IllegalArgumentException(
          "readBufferSize must be 1.." + MAX_BUFFER_SIZE + ": " + readBufferSize);
    }
    if (writeBufferSize < 0 || writeBufferSize > MAX_BUFFER_SIZE) {
      throw new IllegalArgumentException(
          "writeBufferSize must be 0.." + MAX_BUFFER_SIZE + ": " + writeBufferSize);
    }
  }

  /** Returns the defaults: no timeouts, 8 KiB read and write buffers. */
  public static ConnectionOptions defaults() {
    return DEFAULTS;
  }

  /** Returns these options with another read timeout. */
  public ConnectionOptions withReadTimeout(Duration timeout) {
    return new ConnectionOptions(timeout, writeTimeout, readBufferSize, writeBufferSize);
  }

  /** Returns these options with another write timeout. */
  public ConnectionOptions withWriteTimeout(Duration timeout) {
    return new ConnectionOptions(readTimeout, timeout, readBufferSize, writeBufferSize);
  }

  /** Returns these options with another read buffer size. */
  public ConnectionOptions withReadBufferSize(int size) {
    return new ConnectionOptions(readTimeout, writeTimeout, size, writeBufferSize);
  }

  /** Returns these options with another write buffer size; 0 for unbuffered output. */
  public ConnectionOptions withWriteBufferSize(int size) {
    return new ConnectionOptions(readTimeout, writeTimeout, readBufferSize, size);
  }

  /**
   * Checks a timeout argument.
   *
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  static Duration requireTimeout(String what, Duration timeout) {
    Objects.requireNonNull(timeout, what);
    if (timeout.isNegative()) {
      throw new IllegalArgumentException(what + " < 0: " + timeout);
    }
    return timeout;
  }
}
