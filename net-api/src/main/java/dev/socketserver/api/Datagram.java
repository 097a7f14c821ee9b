package dev.socketserver.api;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;

/**
 * One received datagram: the request of a datagram server (UDP, Unix datagram). Python's
 * {@code DatagramRequestHandler}, with the packet as {@link #payload()} and {@link #reply}
 * instead of a {@code wfile} that is always sent.
 *
 * <p>No reply is sent unless the handler calls {@link #reply}; it may reply several times. A
 * datagram larger than the server's maximum never reaches the handler: it is reported to the
 * error handler as a {@link FrameTooLongException}, never silently cut.
 *
 * <p>Thread-safety: the payload is confined to the handler's thread; {@link #reply} is
 * thread-safe. Who closes it: nothing to close; the server owns the socket replies go out on.
 */
public interface Datagram {

  /**
   * Returns the payload as a read-only buffer from position 0 to its length; each call returns
   * a new view of the same bytes.
   */
  ByteBuffer payload();

  /** Returns a copy of the payload. */
  byte[] bytes();

  /** Returns the payload's length in bytes. */
  int length();

  /**
   * Returns the sender's address: an {@code InetSocketAddress}, or a
   * {@code UnixDomainSocketAddress} whose path is empty for an unbound (anonymous) Unix sender.
   */
  SocketAddress sender();

  /**
   * Returns the server that received this datagram (Python's {@code self.server}), for example
   * so that its handler can {@link Server#shutdown()} it. Callable from any thread.
   *
   * @implSpec The default implementation throws: for datagrams no server received.
   * @throws IllegalStateException on a datagram a client received, which no server did
   */
  default Server server() {
    throw new IllegalStateException("a datagram a client received has no server: " + this);
  }

  /** Returns the address the datagram was received on. */
  SocketAddress localAddress();

  /**
   * Sends {@code data} (from its position to its limit, which it consumes) to the sender, in one
   * datagram, from the server's socket.
   *
   * @throws IOException if the datagram cannot be sent, for example because the sender is an
   *     unbound Unix socket that cannot be replied to, or it is larger than the socket allows
   */
  void reply(ByteBuffer data) throws IOException;

  /** Sends {@code data} to the sender in one datagram; as {@link #reply(ByteBuffer)}. */
  default void reply(byte[] data) throws IOException {
    reply(ByteBuffer.wrap(data));
  }
}
