package dev.socketserver.unix;

import dev.socketserver.api.Datagram;
import dev.socketserver.api.Server;
import dev.socketserver.spi.ReceivedDatagram;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A datagram received by a {@link UnixDatagramServer} or a {@link UnixDatagramClient}: its own
 * copy of the payload, the sender (as an address and as the kernel's {@code sockaddr_un} bytes,
 * which replies go to), the credentials the kernel attached, and the socket replies go out on.
 *
 * <p>Thread-safety as {@link Datagram} says: the payload never changes, {@link #reply} is
 * thread-safe.
 */
final class UnixDatagram extends ReceivedDatagram {

  /** The socket a datagram came in on, which sends its replies. */
  interface Socket {
    /** Sends {@code data} to {@code to}'s sender, which is bound, on behalf of {@code to}. */
    void reply(UnixDatagram to, ByteBuffer data) throws IOException;

    /** Returns the socket's bound address. */
    SocketAddress localAddress();

    /** Returns the server whose socket this is, null for a client's. */
    @Nullable Server server();
  }

  private final int size;
  private final byte[] senderBytes;
  private final long pid;
  private final int uid;
  private final int gid;
  private final Socket socket;

  UnixDatagram(NativeDatagramSocket.Received r, Socket socket) {
    super(r.payload(), NativeDatagramSocket.address(r.sender()), socket.server());
    this.size = r.size();
    this.senderBytes = r.sender();
    this.pid = r.pid();
    this.uid = r.uid();
    this.gid = r.gid();
    this.socket = socket;
  }

  /** The datagram's real size; over the receiver's maximum, the payload is empty. */
  int size() {
    return size;
  }

  /** The sender's {@code sockaddr_un} bytes, to send replies to. */
  byte[] senderBytes() {
    return senderBytes;
  }

  /** The credentials the kernel attached ("unknown" when the socket did not ask for them). */
  PeerCredentials credentials() {
    return PeerCredentials.of(pid, uid, gid);
  }

  /** Describes the sender for messages: its address, or that it is unbound. */
  String describeSender() {
    String s = sender().toString();
    return s.isEmpty() ? "an unbound Unix socket" : s;
  }

  @Override
  public SocketAddress localAddress() {
    return socket.localAddress();
  }

  /**
   * {@inheritDoc}
   *
   * @throws IOException also if the sender's socket is unbound (anonymous): it has no address
   */
  @Override
  public void reply(ByteBuffer data) throws IOException {
    Objects.requireNonNull(data, "data");
    if (NativeDatagramSocket.isUnbound(senderBytes)) {
      throw new IOException(
          "cannot reply to the datagram: its sender's socket is not bound to a path (an"
              + " anonymous Unix datagram socket has no address to send to); the sender must"
              + " bind its socket to receive replies");
    }
    socket.reply(this, data);
  }

  @Override
  public String toString() {
    String what = size > length() ? "too long, " + size : String.valueOf(length());
    return "Datagram[" + what + " bytes from " + describeSender() + "]";
  }
}
