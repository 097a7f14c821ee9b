package dev.socketserver.unix;

import dev.socketserver.api.Datagram;
import dev.socketserver.api.FrameTooLongException;
import dev.socketserver.api.Server;
import dev.socketserver.spi.AbstractDatagramServerBuilder;
import dev.socketserver.spi.Acceptor;
import dev.socketserver.spi.ForwardingServer;
import dev.socketserver.spi.Traffic;
import dev.socketserver.spi.factory.ServerFactory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A Unix-domain datagram server: Python's {@code UnixDatagramServer} and
 * {@code ThreadingUnixDatagramServer}, with every {@link dev.socketserver.api.Concurrency} policy
 * and the same {@link Datagram} API as UDP. The JDK has no AF_UNIX datagram sockets, so this one
 * is made with libc through the Foreign Function and Memory API: the JVM must grant this module
 * native access ({@code --enable-native-access=dev.socketserver.unix}); {@link Builder#build()}
 * says so plainly if it does not.
 *
 * {@snippet :
 * try (UnixDatagramServer server = UnixDatagramServer.builder()
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
 *
 * <p>Lifecycle as every {@link Server}. Thread-safe: every method may be called from any thread,
 * a handler included ({@link Datagram#server()}).
 */
public final class UnixDatagramServer extends ForwardingServer {
  private UnixDatagramServer(Server server) {
    super(server);
  }

  /**
   * {@inheritDoc} A {@code UnixDomainSocketAddress}, or a {@link UnixAbstractAddress} if the
   * server was bound to an abstract name; either can be given to {@link UnixClient#datagram}.
   */
  @Override
  public SocketAddress localAddress() {
    return super.localAddress();
  }

  /**
   * Returns the socket file's path, for {@link UnixClient#datagram(Path)}.
   *
   * @throws IllegalStateException if the server is bound to an abstract name, which has no file
   */
  public Path path() {
    return UnixEndpoint.requirePath(localAddress());
  }

  @Override
  public UnixDatagramServer start() {
    super.start();
    return this;
  }

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
  public static final class Builder extends AbstractDatagramServerBuilder<Builder> {
    private final UnixEndpoint endpoint = new UnixEndpoint(false);
    private Duration replyTimeout = Duration.ofSeconds(5);

    private Builder() {}

    /** Binds to the socket file {@code path}; a relative path is relative to the working directory. */
    public Builder bind(Path path) {
      endpoint.bind(path);
      return this;
    }

    /** Binds to {@code address}'s socket file; as {@link #bind(Path)}. */
    public Builder bind(UnixDomainSocketAddress address) {
      return bind(address.getPath());
    }

    /** Binds to {@code name} in Linux's abstract namespace: no socket file, no permissions. */
    public Builder bind(UnixAbstractAddress name) {
      endpoint.bind(name);
      return this;
    }

    /**
     * Sets the socket file's permissions; {@code rw-------} by default. Sending needs write
     * permission. Abstract addresses have no file and ignore this.
     */
    public Builder permissions(Set<PosixFilePermission> permissions) {
      endpoint.permissions(permissions);
      return this;
    }

    /**
     * Sets the permissions from text such as {@code "rw-rw----"}; as {@link #permissions(Set)}.
     *
     * @throws IllegalArgumentException if {@code text} is not nine {@code rwx-} characters
     */
    public Builder permissions(String text) {
      endpoint.permissions(text);
      return this;
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
    public UnixDatagramServer build() throws IOException {
      var settings = settings();
      SocketAddress a = endpoint.address();
      Set<PosixFilePermission> permissions = endpoint.permissions();
      @Nullable Path path = UnixEndpoint.path(a);
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
      String name = "unix-dgram " + a;
      @Nullable SocketFile bound = file;
      return ServerFactory.create(name, settings, traffic -> new DatagramAcceptor(
          socket, a, bound, maxDatagramSize(), replyTimeout, traffic, name), UnixDatagramServer::new);
    }
  }

  /**
   * Receives datagrams for the server core. The socket stays open after
   * {@link #closeListener()} (which removes the socket file, so new senders are refused) until
   * {@link #terminated()}, so requests in flight can still reply.
   */
  private static final class DatagramAcceptor implements Acceptor<Datagram>, UnixDatagram.Socket {
    private final NativeDatagramSocket socket;
    private final SocketAddress local;
    private final @Nullable SocketFile file;
    private final int max;
    private final Duration replyTimeout;
    private final Traffic counters;
    private final String name;
    private volatile @Nullable Server server;
    private final Arena arena = Arena.ofShared();
    private final NativeDatagramSocket.Buffers buffers;

    DatagramAcceptor(NativeDatagramSocket socket, SocketAddress local, @Nullable SocketFile file,
        int max, Duration replyTimeout, Traffic counters, String name) {
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
    public void attach(Server s) {
      this.server = s;
    }

    @Override
    public @Nullable Server server() {
      return server;
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
