package dev.socketserver.api.internal;

import java.io.IOException;

/**
 * Adopts the listening socket systemd passed this process as descriptor 3: the service that
 * {@link InheritedListener#take} loads, provided by net-unix because it needs native code (the
 * only module allowed it). A transport never calls it directly.
 *
 * <p>Implementations are thread-safe.
 */
public interface SocketActivator {
  /**
   * Returns descriptor 3 as a listening channel, for a server that needs a Unix-domain socket if
   * {@code unix}, else an IP one. {@code activation} names this process. A process can adopt one
   * socket only, once.
   *
   * @throws IOException if descriptor 3 is not a listening stream socket of that family, it was
   *     adopted already, or native code is not allowed; the message says which and what to do
   */
  InheritedListener adopt(InheritedListener.Activation activation, boolean unix) throws IOException;
}
