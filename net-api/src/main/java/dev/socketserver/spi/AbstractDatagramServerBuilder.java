package dev.socketserver.spi;

import dev.socketserver.api.ConnectionOptions;
import dev.socketserver.api.Datagram;
import dev.socketserver.api.DatagramServerBuilder;

/**
 * For transport authors: the state and checks of {@link DatagramServerBuilder}'s options, on top
 * of {@link AbstractServerBuilder}'s; the protected getters return them to {@code build()}.
 *
 * <p>Not thread-safe: a builder is configured on one thread.
 *
 * @param <B> the concrete builder type, returned by every setter
 */
public abstract class AbstractDatagramServerBuilder<B extends DatagramServerBuilder<B>>
    extends AbstractServerBuilder<Datagram, B> implements DatagramServerBuilder<B> {
  private int maxDatagramSize = MAX_UDP_PAYLOAD;
  private int receiveBufferSize;
  private int sendBufferSize;

  /** Creates a builder with the defaults. */
  protected AbstractDatagramServerBuilder() {}

  @Override
  public final B maxDatagramSize(int bytes) {
    if (bytes < 1 || bytes > ConnectionOptions.MAX_BUFFER_SIZE) {
      throw new IllegalArgumentException(
          "maxDatagramSize must be 1.." + ConnectionOptions.MAX_BUFFER_SIZE + ": " + bytes);
    }
    this.maxDatagramSize = bytes;
    return me();
  }

  @Override
  public final B receiveBufferSize(int bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException("receiveBufferSize < 1: " + bytes);
    }
    this.receiveBufferSize = bytes;
    return me();
  }

  @Override
  public final B sendBufferSize(int bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException("sendBufferSize < 1: " + bytes);
    }
    this.sendBufferSize = bytes;
    return me();
  }

  /** Returns the maximum datagram size. */
  protected final int maxDatagramSize() {
    return maxDatagramSize;
  }

  /** Returns the receive buffer size, 0 for the OS's setting. */
  protected final int receiveBufferSize() {
    return receiveBufferSize;
  }

  /** Returns the send buffer size, 0 for the OS's setting. */
  protected final int sendBufferSize() {
    return sendBufferSize;
  }

  @SuppressWarnings("unchecked") // B is this builder's own type by the class's contract
  private B me() {
    return (B) this;
  }
}
