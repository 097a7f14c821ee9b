package dev.socketserver.unix;

import dev.socketserver.api.Datagram;
import dev.socketserver.api.DatagramServerBuilder;
import dev.socketserver.api.FrameTooLongException;
import dev.socketserver.api.Server;
import dev.socketserver.spi.Acceptor;
import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.engine.core.ServerCore;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.net.SocketAddress;
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
 * Unix-domain datagram servers: Python's {@code UnixDatagramServer} and
 * {@code ThreadingUnixDatagramServer}, with every {@link dev.socketserver.api.Concurrency} policy
 * and the same {@link Datagram} API as UDP. The JDK has no AF_UNIX datagram sockets, so this one
 * is made with libc through the Foreign Function and Memory API: the JVM must grant this module
 * native access ({@code --enable-native-access=dev.socketserver.unix}); {@link Builder#build()}
 * says so plainly if it does not.
 *
 * {@snippet :
 * try (Server server = UnixDatagramServer.builder()
 *         .bind(Path.of("/run/app/app.dgram"))
 *         .handler(d -> d.reply(d.payload()))
 *         .build()) {
 *     server.serveForever();
 * }
 * }
 *
 * <p>Each datagram is one request; {@link Datagram#reply} sends to the sender's socket, which
 * works when the sender bound its socket to a path (or an abstract name). A datagram from an
 * unbound socket is handled like any other; its {@link Datagram#sender()} is an empty path and a
 * reply to it fails with an {@code IOException} that says why. A datagram larger than
 * {@link Builder#maxDatagramSize} is reported to the error handler as a
 * {@link FrameTooLongException} with its real size (the kernel reports it), never cut.
 *
 * <p>The socket file is handled as {@link UnixStreamServer}'s: a stale one is replaced, a live
 * socket or another file refused, the file removed on close; its permissions ({@code rw-------}
 * by default) are set on the socket before it is bound, so the file never exists with wider
 * ones. Linux abstract-namespace addresses ({@link UnixAbstractAddress}) are supported too.
 */
public final class UnixDatagramServer {
  private UnixDatagramServer() {}

  /** Returns a new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the credentials the kernel attached to {@code datagram} when it was sent: the
   * sender's pid, uid and gid, and their names.
   *
   * @throws IllegalArgumentException if {@code datagram} was not received by a Unix datagram
   *     server or {@link UnixDatagramClient}
   */
  public static PeerCredentials peerCredentials(Datagram datagram) {
    if (datagram instanceof UnixDatagram d) {
      return d.credentials();
    }
    throw new IllegalArgumentException("not a Unix datagram: " + datagram);
  }

  /**
   * Configures and builds a Unix-domain datagram server. {@link #build()} binds.
   *
   * <p>Not thread-safe: configure it on one thread.
   */
  public static final class Builder extends DatagramServerBuilder<Builder> {
    private @Nullable SocketAddress address;
    private Set<PosixFilePermission> permissions =
        EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    private Duration replyTimeout = Duration.ofSeconds(5);

    private Builder() {}

    /** Binds to the socket file {@code path}; a relative path is relative to the working directory. */
    public Builder bind(Path path) {
      this.address = UnixDomainSocketAddress.of(Objects.requireNonNull(path, "path"));
      return this;
    }

    /** Binds to {@code address}: a socket file path, or a Linux abstract name. */
    public Builder bind(SocketAddress address) {
      Objects.requireNonNull(address, "address");
      if (!(address instanceof UnixDomainSocketAddress) && !(address instanceof UnixAbstractAddress)) {
        throw new IllegalArgumentException(
            "not a Unix-domain address (UnixDomainSocketAddress or UnixAbstractAddress): " + address);
      }
      this.address = address;
      return this;
    }

    /**
     * Sets the socket file's permissions; {@code rw-------} by default. Sending needs write
     * permission. Abstract addresses have no file and ignore this.
     */
    public Builder permissions(Set<PosixFilePermission> permissions) {
      this.permissions = EnumSet.copyOf(Objects.requireNonNull(permissions, "permissions"));
      return this;
    }

    /**
     * Sets the permissions from text such as {@code "rw-rw----"}; as {@link #permissions(Set)}.
     *
     * @throws IllegalArgumentException if {@code text} is not nine {@code rwx-} characters
     */
    public Builder permissions(String text) {
      return permissions(PosixFilePermissions.fromString(text));
    }

    /**
     * Sets how long a reply waits while the receiver's queue is full (a Unix datagram sender
     * waits for a slow receiver, unlike UDP which drops); 5 seconds by default. After that the
     * reply fails with a {@link java.net.SocketTimeoutException}.
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public Builder replyTimeout(Duration timeout) {
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("replyTimeout < 0: " + timeout);
      }
      this.replyTimeout = timeout;
      return this;
    }

    /**
     * {@inheritDoc}
     *
     * @throws java.nio.file.FileAlreadyExistsException if the path exists and is not a socket
     * @throws java.net.BindException if another server is bound to the address
     * @throws IOException if the JVM denies this module native access (the message gives the
     *     flag), the path is longer than the kernel's 107 bytes, or the socket cannot be made
     */
    @Override
    public Server build() throws IOException {
      var settings = settings();
      SocketAddress a = address;
      if (a == null) {
        throw new IllegalStateException("no address: call bind(...) before build()");
      }
      @Nullable Path path = a instanceof UnixDomainSocketAddress u ? u.getPath() : null;
      if (path != null) {
        SocketFile.pathBytes(path);
        SocketFile.makeWay(path, "Unix datagram server");
      }
      NativeDatagramSocket socket = NativeDatagramSocket.open();
      @Nullable SocketFile file = null;
      try {
        if (receiveBufferSize() > 0) {
          socket.option("SO_RCVBUF", Libc.SO_RCVBUF, receiveBufferSize());
        }
        if (sendBufferSize() > 0) {
          socket.option("SO_SNDBUF", Libc.SO_SNDBUF, sendBufferSize());
        }
        socket.option("SO_PASSCRED", Libc.SO_PASSCRED, 1);
        socket.bind(a, SocketFile.mode(permissions));
        if (path != null) {
          file = SocketFile.bound(path, permissions); // exact, whatever the umask took away
        }
      } catch (IOException | RuntimeException e) {
        socket.close();
        if (path != null && file == null && Files.exists(path)) {
          SocketFile.removeQuietly(path); // bound, but the permissions could not be set
        }
        throw e;
      }
      Counters counters = new Counters();
      String name = "unix-dgram " + a;
      var acceptor = new DatagramAcceptor(socket, a, file, maxDatagramSize(), replyTimeout, counters, name);
      return new ServerCore<>(name, settings, acceptor, counters);
    }
  }

  /**
   * Receives datagrams for the {@link ServerCore}. The socket stays open after
   * {@link #closeListener()} (which removes the socket file, so new senders are refused) until
   * {@link #terminated()}, so requests in flight can still reply.
   */
  private static final class DatagramAcceptor implements Acceptor<Datagram>, UnixDatagram.Socket {
    private final NativeDatagramSocket socket;
    private final SocketAddress local;
    private final @Nullable SocketFile file;
    private final int max;
    private final Duration replyTimeout;
    private final Counters counters;
    private final String name;
    private final Arena arena = Arena.ofShared();
    private final NativeDatagramSocket.Buffers buffers;

    DatagramAcceptor(NativeDatagramSocket socket, SocketAddress local, @Nullable SocketFile file,
        int max, Duration replyTimeout, Counters counters, String name) {
      this.socket = socket;
      this.local = local;
      this.file = file;
      this.max = max;
      this.replyTimeout = replyTimeout;
      this.counters = counters;
      this.name = name;
      this.buffers = socket.buffers(arena, max);
    }

    @Override
    public @Nullable Datagram accept(long timeoutNanos) throws IOException {
      NativeDatagramSocket.Received r = socket.receive(buffers, timeoutNanos);
      if (r == null) {
        return null;
      }
      counters.read(r.size()); // as UDP: every datagram received counts, an over-long one too
      return new UnixDatagram(r, this);
    }

    @Override
    public void reply(UnixDatagram d, ByteBuffer data) throws IOException {
      int n = data.remaining();
      if (d.isAborted()) {
        throw new IOException("the server " + name + " was stopped: no reply sent to " + d.describeSender());
      }
      socket.send(data, d.senderBytes(), d.sender().toString(), replyTimeout);
      counters.replied(n);
    }

    @Override
    public void verify(Datagram request) throws FrameTooLongException {
      int size = ((UnixDatagram) request).size();
      if (size > max) {
        throw new FrameTooLongException("datagram", size, true, max);
      }
    }

    @Override
    public void wakeup() {
      socket.wakeup();
    }

    @Override
    public SocketAddress localAddress() {
      return local;
    }

    @Override
    public String describe(Datagram request) {
      return ((UnixDatagram) request).describeSender();
    }

    @Override
    public void finish(Datagram request) {
      // nothing to close: the socket is the server's
    }

    @Override
    public void abort(Datagram request) {
      ((UnixDatagram) request).abort(); // the socket is the server's: only this request's replies stop
    }

    @Override
    public void closeListener() {
      if (file != null) {
        file.remove();
      }
    }

    @Override
    public void terminated() {
      socket.close();
      arena.close();
    }
  }
}
