package dev.socketserver.unix;

import dev.socketserver.api.Datagram;
import dev.socketserver.api.FrameTooLongException;
import dev.socketserver.api.Server;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A Unix-domain datagram client: sends datagrams to one server and receives its replies, on a
 * socket bound to its own address so the server can reply. Made by {@link UnixClient#datagram}.
 * Received datagrams are the same {@link Datagram}s a server's handler gets (as
 * {@code UdpClient}'s are): their sender is the address they came from, their {@code reply}
 * answers from this client's socket, and {@link UnixDatagramServer#peerCredentials} gives who
 * sent them.
 *
 * {@snippet :
 * try (UnixDatagramClient client = UnixClient.datagram(Path.of("/run/app/app.dgram"))) {
 *     client.send("ping".getBytes(StandardCharsets.UTF_8));
 *     Datagram reply = client.receive(Duration.ofSeconds(5));
 *     String text = new String(reply.bytes(), StandardCharsets.UTF_8);
 * }
 * }
 *
 * <p>Thread-safety: {@link #send} from any thread; {@link #receive} from one thread at a time.
 * Who closes it: the caller, which removes the client's socket file (and the temporary directory
 * made for it); a second close does nothing.
 */
public final class UnixDatagramClient implements AutoCloseable {
  private static final Set<PosixFilePermission> OWNER_ONLY =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  private static final Duration SEND_TIMEOUT = Duration.ofSeconds(5);

  private final NativeDatagramSocket socket;
  private final SocketAddress server;
  private final byte[] serverBytes;
  private final SocketAddress local;
  private final @Nullable SocketFile file;
  private final @Nullable Path tempDir;
  private final UnixDatagram.Socket replies;

  private UnixDatagramClient(NativeDatagramSocket socket, SocketAddress server, byte[] serverBytes,
      SocketAddress local, @Nullable SocketFile file, @Nullable Path tempDir) {
    this.socket = socket;
    this.server = server;
    this.serverBytes = serverBytes;
    this.local = local;
    this.file = file;
    this.tempDir = tempDir;
    this.replies =
        new UnixDatagram.Socket() {
          @Override
          public void reply(UnixDatagram to, ByteBuffer data) throws IOException {
            socket.send(data, to.senderBytes(), to.sender().toString(), SEND_TIMEOUT);
          }

          @Override
          public SocketAddress localAddress() {
            return local;
          }

          @Override
          public @Nullable Server server() {
            return null;
          }
        };
  }

  static UnixDatagramClient open(SocketAddress server, @Nullable SocketAddress bindTo) throws IOException {
    byte[] serverBytes = NativeDatagramSocket.sockaddr(Objects.requireNonNull(server, "server"));
    Path tempDir = null;
    SocketAddress local = bindTo;
    if (local == null) {
      tempDir = Files.createTempDirectory("socketserver-", PosixFilePermissions.asFileAttribute(
          EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
              PosixFilePermission.OWNER_EXECUTE)));
      local = UnixDomainSocketAddress.of(tempDir.resolve("client.sock"));
    }
    Path path = local instanceof UnixDomainSocketAddress u ? u.getPath() : null;
    NativeDatagramSocket socket = null;
    try {
      if (path != null && tempDir == null) {
        SocketFile.makeWay(path, "Unix datagram client");
      }
      socket = NativeDatagramSocket.open();
      socket.option("SO_PASSCRED", Libc.SO_PASSCRED, 1); // so received datagrams say who sent them
      socket.bind(local, SocketFile.mode(OWNER_ONLY));
      SocketFile file = path == null ? null : SocketFile.bound(path, OWNER_ONLY);
      return new UnixDatagramClient(socket, server, serverBytes, local, file, tempDir);
    } catch (IOException | RuntimeException e) {
      if (socket != null) {
        socket.close();
      }
      if (path != null && Files.exists(path)) {
        SocketFile.removeQuietly(path);
      }
      if (tempDir != null) {
        Files.deleteIfExists(tempDir);
      }
      throw e;
    }
  }

  /** Returns the address this client is bound to, where replies come. */
  public SocketAddress localAddress() {
    return local;
  }

  /** Returns the server's address. */
  public SocketAddress serverAddress() {
    return server;
  }

  /**
   * Sends {@code data} (from its position to its limit, which it consumes) to the server in one
   * datagram. Waits up to 5 seconds while the server's queue is full.
   *
   * @throws java.net.ConnectException if no server is bound at the address
   * @throws IOException if it cannot be sent; the message names {@code sendto} and the address
   */
  public void send(ByteBuffer data) throws IOException {
    socket.send(data, serverBytes, server.toString(), SEND_TIMEOUT);
  }

  /** Sends {@code data} to the server in one datagram; as {@link #send(ByteBuffer)}. */
  public void send(byte[] data) throws IOException {
    send(ByteBuffer.wrap(data));
  }

  /**
   * Receives the next datagram of at most 65 507 bytes, from anyone, waiting at most
   * {@code timeout} ({@link Duration#ZERO}: for ever).
   *
   * @throws SocketTimeoutException if none arrives in time
   * @throws FrameTooLongException if it is larger (it is dropped)
   */
  public Datagram receive(Duration timeout) throws IOException {
    return receive(timeout, NativeDatagramSocket.DEFAULT_MAX_RECEIVE);
  }

  /**
   * Receives the next datagram of at most {@code maxBytes} bytes; as {@link #receive(Duration)}.
   *
   * @throws IllegalArgumentException if {@code maxBytes < 1}
   */
  public Datagram receive(Duration timeout, int maxBytes) throws IOException {
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout < 0: " + timeout);
    }
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes < 1: " + maxBytes);
    }
    long nanos = timeout.isZero() ? -1 : timeout.toNanos();
    try (Arena arena = Arena.ofConfined()) {
      NativeDatagramSocket.Received r = socket.receive(socket.buffers(arena, maxBytes), nanos);
      if (r == null) {
        throw new SocketTimeoutException("no datagram from " + server + " within " + timeout);
      }
      if (r.tooLong(maxBytes)) {
        throw new FrameTooLongException("datagram", r.size(), true, maxBytes);
      }
      return new UnixDatagram(r, replies);
    }
  }

  /** Closes the socket and removes its socket file and temporary directory. A second call does nothing. */
  @Override
  public void close() throws IOException {
    socket.close();
    if (file != null) {
      file.remove();
    }
    if (tempDir != null) {
      Files.deleteIfExists(tempDir);
    }
  }

  @Override
  public String toString() {
    return "UnixDatagramClient[" + local + " -> " + server + "]";
  }
}
