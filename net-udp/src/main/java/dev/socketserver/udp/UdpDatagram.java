package dev.socketserver.udp;

import dev.socketserver.api.Datagram;
import dev.socketserver.api.Server;
import dev.socketserver.spi.ReceivedDatagram;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A datagram received by a {@link UdpServer} or a {@link UdpClient}: its own copy of the
 * payload, the sender, and the socket replies go out on.
 *
 * <p>Thread-safety as {@link Datagram} says: the payload never changes, {@link #reply} is
 * thread-safe.
 */
final class UdpDatagram extends ReceivedDatagram {

  /** The socket a datagram came in on, which sends its replies. */
  interface Socket {
    /** Sends {@code data} to {@code to.sender()} on behalf of {@code to}. */
    void reply(UdpDatagram to, ByteBuffer data) throws IOException;

    /** Returns the socket's bound address. */
    SocketAddress localAddress();

    /** Returns the server whose socket this is, null for a client's. */
    @Nullable Server server();
  }

  private static final byte[] NONE = new byte[0];

  private final Socket socket;
  private final boolean tooLong;

  private UdpDatagram(byte[] payload, SocketAddress sender, Socket socket, boolean tooLong) {
    super(payload, sender, socket.server());
    this.socket = socket;
    this.tooLong = tooLong;
  }

  /** A datagram whose payload is {@code payload}, which it now owns. */
  static UdpDatagram of(byte[] payload, SocketAddress sender, Socket socket) {
    return new UdpDatagram(payload, sender, socket, false);
  }

  /** A datagram that was larger than the maximum: it has no payload, only its sender. */
  static UdpDatagram tooLong(SocketAddress sender, Socket socket) {
    return new UdpDatagram(NONE, sender, socket, true);
  }

  /** The socket it came in on, which sends its replies. */
  Socket socket() {
    return socket;
  }

  /** Whether this datagram was larger than the maximum (its payload is then empty). */
  boolean isTooLong() {
    return tooLong;
  }

  @Override
  public SocketAddress localAddress() {
    return socket.localAddress();
  }

  @Override
  public void reply(ByteBuffer data) throws IOException {
    socket.reply(this, Objects.requireNonNull(data, "data"));
  }

  @Override
  public String toString() {
    return "Datagram[" + (tooLong ? "too long" : length() + " bytes") + " from " + sender() + "]";
  }
}
