package dev.socketserver.spi;

/**
 * Where a transport counts the bytes it moves, for {@link dev.socketserver.api.ServerMetrics}:
 * the server core counts requests itself, the transport counts bytes. A transport gets its
 * server's {@code Traffic} from {@link dev.socketserver.spi.factory.ServerFactory#create} when
 * it opens its acceptor.
 *
 * <p>Thread-safe: every method may be called from any thread, as often as bytes move.
 */
public interface Traffic {
  /** Counts {@code bytes} received from a client. */
  void read(long bytes);

  /** Counts {@code bytes} sent to a client. */
  void written(long bytes);

  /** Counts one reply datagram of {@code bytes} sent to a client (also counted as written). */
  void replied(long bytes);
}
