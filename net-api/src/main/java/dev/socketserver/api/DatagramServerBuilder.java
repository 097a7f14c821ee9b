package dev.socketserver.api;

/**
 * The options of every datagram server builder (UDP, Unix datagram): {@link ServerBuilder}'s
 * plus the maximum datagram size and the socket's buffer sizes.
 *
 * <p>Not thread-safe: configure a builder on one thread. Transport authors implement this
 * through {@code dev.socketserver.spi.AbstractDatagramServerBuilder}.
 *
 * @param <B> the concrete builder type, returned by every setter
 */
public interface DatagramServerBuilder<B extends DatagramServerBuilder<B>>
    extends ServerBuilder<Datagram, B> {
  /** The largest UDP payload over IPv4: 65 535 - 20 (IP header) - 8 (UDP header). */
  int MAX_UDP_PAYLOAD = 65_507;

  /**
   * Sets the largest datagram the handler gets; 65 507 bytes (the UDP maximum) by default, so
   * nothing is cut. A larger datagram is reported to the error handler as a
   * {@link FrameTooLongException} and dropped.
   *
   * @throws IllegalArgumentException if {@code bytes} is out of 1..16 MiB
   */
  B maxDatagramSize(int bytes);

  /**
   * Sets the socket's receive buffer (SO_RCVBUF): how many bytes of datagrams the kernel holds
   * while the server is busy; datagrams that do not fit are dropped by the kernel. The kernel may
   * cap it ({@code net.core.rmem_max}). By default the OS's setting.
   *
   * @throws IllegalArgumentException if {@code bytes < 1}
   */
  B receiveBufferSize(int bytes);

  /**
   * Sets the socket's send buffer (SO_SNDBUF). By default the OS's setting.
   *
   * @throws IllegalArgumentException if {@code bytes < 1}
   */
  B sendBufferSize(int bytes);
}
