package dev.socketserver.api;

/**
 * The options of every datagram server builder (UDP, Unix datagram): {@link ServerBuilder}'s
 * plus the maximum datagram size and the socket's buffer sizes.
 *
 * <p>Not thread-safe: configure a builder on one thread.
 *
 * @param <B> the concrete builder type, returned by every setter
 */
public abstract class DatagramServerBuilder<B extends DatagramServerBuilder<B>>
    extends ServerBuilder<Datagram, B> {
  /** The largest UDP payload over IPv4: 65 535 - 20 (IP header) - 8 (UDP header). */
  public static final int MAX_UDP_PAYLOAD = 65_507;

  private int maxDatagramSize = MAX_UDP_PAYLOAD;
  private int receiveBufferSize;
  private int sendBufferSize;

  /** For transports: creates a builder with the defaults. */
  protected DatagramServerBuilder() {}

  /**
   * Sets the largest datagram the handler gets; 65 507 bytes (the UDP maximum) by default, so
   * nothing is cut. A larger datagram is reported to the error handler as a
   * {@link FrameTooLongException} and dropped.
   *
   * @throws IllegalArgumentException if {@code bytes} is out of 1..16 MiB
   */
  public final B maxDatagramSize(int bytes) {
    if (bytes < 1 || bytes > ConnectionOptions.MAX_BUFFER_SIZE) {
      throw new IllegalArgumentException(
          "maxDatagramSize must be 1.." + ConnectionOptions.MAX_BUFFER_SIZE + ": " + bytes);
    }
    this.maxDatagramSize = bytes;
    return me();
  }

  /**
   * Sets the socket's receive buffer (SO_RCVBUF): how many bytes of datagrams the kernel holds
   * while the server is busy; datagrams that do not fit are dropped by the kernel. The kernel may
   * cap it ({@code net.core.rmem_max}). By default the OS's setting.
   *
   * @throws IllegalArgumentException if {@code bytes < 1}
   */
  public final B receiveBufferSize(int bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException("receiveBufferSize < 1: " + bytes);
    }
    this.receiveBufferSize = bytes;
    return me();
  }

  /**
   * Sets the socket's send buffer (SO_SNDBUF). By default the OS's setting.
   *
   * @throws IllegalArgumentException if {@code bytes < 1}
   */
  public final B sendBufferSize(int bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException("sendBufferSize < 1: " + bytes);
    }
    this.sendBufferSize = bytes;
    return me();
  }

  /** For transports: returns the maximum datagram size. */
  protected final int maxDatagramSize() {
    return maxDatagramSize;
  }

  /** For transports: returns the receive buffer size, 0 for the OS's setting. */
  protected final int receiveBufferSize() {
    return receiveBufferSize;
  }

  /** For transports: returns the send buffer size, 0 for the OS's setting. */
  protected final int sendBufferSize() {
    return sendBufferSize;
  }

  @SuppressWarnings("unchecked") // B is this builder's own type by the class's contract
  private B me() {
    return (B) this;
  }
}
