package dev.socketserver.engine.stream;

import dev.socketserver.api.FrameDecoder;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/**
 * A connection's input as a buffer to read from: the plain connection's poller-fed buffer
 * ({@link Inbound}) or TLS's plaintext. {@link SourceInput} is the one {@code InputStream} and
 * frame decoder over every layer, so reading, frame charging and end of stream are written once.
 *
 * <p>Thread-safety: every method but {@link #lock()} and {@link #unlock()} runs with the source's
 * lock held; a source may release it while it waits.
 */
public interface BufferSource {

  void lock();

  void unlock();

  /**
   * Waits until input is buffered and returns the buffer (read mode, bytes remaining), or null at
   * end of stream. Waits at most {@code timeoutNanos} (0: no limit) or, if it is {@link
   * #CONNECTION_TIMEOUT}, the connection's read timeout. {@code atBoundary}: the caller waits
   * between messages (nothing of the next one read yet), so a draining connection with nothing
   * buffered ends here, as at end of stream.
   *
   * @throws java.net.SocketTimeoutException if the time passes first (the connection stays usable)
   * @throws IOException if reading failed or the connection is closed
   */
  @Nullable ByteBuffer await(long timeoutNanos, boolean atBoundary) throws IOException;

  /** Returns how many bytes are buffered now, without waiting. */
  int buffered();

  /** Called after bytes were taken from {@code b}, the buffer {@link #await} returned. */
  void consumed(ByteBuffer b);

  /**
   * Charges what {@code decoder} holds for an unfinished frame to the server's inbound budget
   * (or releases what it no longer holds).
   *
   * @throws IOException if the budget has no room: the connection is failed and closed
   */
  void charge(FrameDecoder decoder) throws IOException;

  /**
   * Streams everything to {@code out} until end of stream if this source can do better than a
   * copy through an array (an echo into its own connection); returns -1 if it cannot.
   */
  default long transferTo(OutputStream out) throws IOException {
    return -1;
  }

  /** Closes the connection the input belongs to. */
  void close() throws IOException;

  /** As a timeout: the connection's own read timeout. */
  long CONNECTION_TIMEOUT = -1;
}
