package dev.socketserver.engine.endpoint;

import java.io.IOException;
import java.nio.channels.NetworkChannel;

/**
 * Adopts the socket systemd passed this process as descriptor 3: the service that
 * {@link InheritedListener#take} loads, provided by net-unix because it needs native code (the
 * only module allowed it). A transport never calls it directly.
 *
 * <p>Implementations are thread-safe.
 */
public interface SocketActivator {
  /**
   * Returns descriptor 3 as a channel of {@code kind}: a listening
   * {@link java.nio.channels.ServerSocketChannel} for a stream server, a
   * {@link java.nio.channels.DatagramChannel} for a datagram one; of the Unix-domain family if
   * {@code unix}, else an IP one. {@code activation} names this process. A process can adopt one
   * socket only, once.
   *
   * @throws IOException if descriptor 3 is not a socket of that kind and family (a stream socket
   *     must listen), it was adopted already, the JDK cannot adopt that kind (a Unix-domain
   *     datagram socket), or native code is not allowed; the message says which and what to do
   */
  <C extends NetworkChannel> InheritedListener<C> adopt(
      InheritedListener.Activation activation, Class<C> kind, boolean unix) throws IOException;
}
