package dev.socketserver.unix;

import dev.socketserver.api.Connection;
import dev.socketserver.api.Server;
import dev.socketserver.engine.endpoint.InheritedListener;
import dev.socketserver.engine.stream.StreamAcceptor;
import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.engine.telemetry.Logs;
import dev.socketserver.spi.AbstractStreamServerBuilder;
import dev.socketserver.spi.ForwardingServer;
import dev.socketserver.spi.ServerSettings;
import dev.socketserver.spi.factory.ServerFactory;
import java.io.IOException;
import java.net.BindException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;

/**
 * A Unix-domain stream server: Python's {@code UnixStreamServer} and
 * {@code ThreadingUnixStreamServer}, with every {@link dev.socketserver.api.Concurrency} policy
 * and the same {@link Connection} API and lifecycle as TCP.
 *
 * {@snippet :
 * try (UnixStreamServer server = UnixStreamServer.builder()
 *         .bind(Path.of("/run/app/app.sock"))
 *         .filter(UnixStreamServer.allowSameUser())
 *         .handler(c -> c.input().transferTo(c.output()))
 *         .build()) {
 *     server.serveForever();
 * }
 * }
 *
 * <p>The socket file: {@code build()} binds it, replacing a stale socket file nobody listens on
 * and refusing a live socket or any other kind of file; it gets the permissions given
 * ({@code rw-------} by default: only this user can connect); {@code close()} removes it. A
 * server started by systemd's socket activation serves the socket it was given instead
 * ({@link Builder#inheritedChannel()}), whose file is systemd's.
 *
 * <p>Linux abstract-namespace addresses (a name with no file, {@code "\0name"}) are not
 * available for stream servers: the JDK's {@code UnixDomainSocketAddress} cannot hold one, and a
 * listening socket made outside the JDK could not be turned into the channels connections run
 * on. {@link UnixDatagramServer} supports them.
 *
 * <p>Lifecycle as every {@link Server}. Thread-safe: every method may be called from any thread,
 * a handler included ({@link Connection#server()}).
 */
public final class UnixStreamServer extends ForwardingServer {
  private static final Logger log = Logs.get(UnixStreamServer.class);

  private UnixStreamServer(Server server) {
    super(server);
  }

  /** {@inheritDoc} Always a {@code UnixDomainSocketAddress}: the socket file's. */
  @Override
  public UnixDomainSocketAddress localAddress() {
    return (UnixDomainSocketAddress) super.localAddress();
  }

  /** Returns the socket file's path, for {@link UnixClient#connect(Path)}. */
  public Path path() {
    return localAddress().getPath();
  }

  @Override
  public UnixStreamServer start() {
    super.start();
    return this;
  }

  /** Returns a new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the credentials of the process at the other end of {@code connection}, as the kernel
   * recorded them when it connected (SO_PEERCRED).
   *
   * @throws IOException if they cannot be read, for example because the connection is closed
   * @throws UnsupportedOperationException if {@code connection} is not a Unix-domain stream
   */
  public static PeerCredentials peerCredentials(Connection connection) throws IOException {
    return PeerCredentials.of(connection);
  }

  /**
   * Returns a connection filter, for {@link Builder#filter}, that accepts only peers running as
   * one of {@code users}: user names, or numeric uids for users with no name. Compared by uid, so
   * two names of one uid are the same user.
   *
   * @throws IllegalArgumentException if a name is neither a known user nor a number
   */
  public static Predicate<Connection> allowUsers(String... users) {
    return PeerCredentials.allowUsers(Set.of(users));
  }

  /**
   * Returns a connection filter that accepts only peers whose effective group, when they
   * connected, is one of {@code groups}: group names, or numeric gids. Supplementary groups are
   * not seen: the kernel reports only the one group.
   *
   * @throws IllegalArgumentException if a name is neither a known group nor a number
   */
  public static Predicate<Connection> allowGroups(String... groups) {
    return PeerCredentials.allowGroups(Set.of(groups));
  }

  /**
   * Returns a connection filter that accepts only peers running as this process's user
   * ({@code user.name}): the check to add when the socket file's permissions are wider.
   */
  public static Predicate<Connection> allowSameUser() {
    return allowUsers(System.getProperty("user.name", ""));
  }

  /**
   * Configures and builds a Unix-domain stream server. {@link #build()} binds and listens.
   *
   * <p>Not thread-safe: configure it on one thread.
   */
  public static final class Builder extends AbstractStreamServerBuilder<Builder> {
    private final UnixEndpoint endpoint = new UnixEndpoint(true);
    private int backlog = 1024;

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

    /**
     * Serves on the listening Unix-domain socket this process inherited, instead of binding one:
     * a listening socket on standard input (descriptor 0: inetd, {@code StandardInput=socket}),
     * else the first socket systemd passed (descriptor 3, when {@code LISTEN_PID} is this process
     * and {@code LISTEN_FDS} at least 1: a {@code .socket} unit with
     * {@code ListenStream=/run/app.sock} and {@code Accept=no}, or
     * {@code systemd-socket-activate -l /run/app.sock java ...}). Adopting descriptor 3 calls
     * libc, so run the JVM with {@code --enable-native-access=dev.socketserver.unix}. One socket
     * per process (the JDK adopts one inherited channel): if systemd passes more, the others stay
     * unserved and a warning says so.
     *
     * <p>The socket file is the launcher's: its permissions (systemd's {@code SocketMode=}) are
     * left as they are, {@link #permissions(Set)} does not apply, and closing the server does not
     * remove the file. The server owns the socket and closes it. If there is no such socket, the
     * variables name another process or the socket is not a listening Unix-domain one,
     * {@link #build()} fails with an {@code IOException} saying which.
     */
    public Builder inheritedChannel() {
      endpoint.inherit();
      return this;
    }

    /**
     * Sets the socket file's permissions; {@code rw-------} by default. Connecting needs write
     * permission, so {@code rw-rw----} lets the file's group in too.
     *
     * <p>The JDK creates the file with mode {@code 0777 & ~umask} and {@code build()} then
     *     sets these permissions, before it returns and before any connection is accepted. With
     *     the usual umasks (022, 027, 077) nobody else can connect in between. With a umask that
     *     gives write permission away (002, 000) someone could connect in that instant: then
     *     {@code build()} closes every connection made before the permissions were set, so none
     *     made through the wider permissions is ever served. For defence in depth, bind in a
     *     directory only the intended users can enter.
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
     * Sets the listen backlog: connections the kernel queues while the server is busy; 1024 by
     * default. The kernel may cap it ({@code net.core.somaxconn}).
     *
     * @throws IllegalArgumentException if {@code backlog < 1}
     */
    public Builder backlog(int backlog) {
      if (backlog < 1) {
        throw new IllegalArgumentException("backlog < 1: " + backlog);
      }
      this.backlog = backlog;
      return this;
    }

    /**
     * {@inheritDoc}
     *
     * @throws java.nio.file.FileAlreadyExistsException if the path exists and is not a socket
     * @throws BindException if another server is bound to the socket at the path
     * @throws IOException if the path is longer than the kernel's 107 bytes, or its directory
     *     does not exist or cannot be written
     */
    @Override
    public UnixStreamServer build() throws IOException {
      var settings = settings();
      if (endpoint.inherited()) {
        InheritedListener<ServerSocketChannel> listener = InheritedListener.take("Unix stream server", true);
        return serve(settings, listener.channel(), "unix " + listener.channel().getLocalAddress(),
            listener.afterClose());
      }
      Path p = UnixEndpoint.requirePath(endpoint.address());
      Set<PosixFilePermission> permissions = endpoint.permissions();
      SocketFile.pathBytes(p);
      String what = "Unix stream server";
      SocketFile.makeWay(p, what);
      ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      SocketFile file;
      try {
        listener.bind(UnixDomainSocketAddress.of(p), backlog);
      } catch (BindException e) {
        listener.close();
        BindException better =
            new BindException("cannot bind " + what + " to " + p + ": " + e.getMessage()
                + " (another server bound it just now? stop it or choose another path)");
        better.initCause(e);
        throw better;
      } catch (IOException | RuntimeException e) {
        listener.close();
        throw new IOException("cannot bind " + what + " to " + p + ": " + e.getMessage(), e);
      }
      try {
        file = SocketFile.bound(p, permissions);
        if (SocketFile.creationModeIsWider(permissions)) {
          refuseEarlyConnections(listener, p);
        }
      } catch (IOException | RuntimeException e) {
        listener.close();
        SocketFile.removeQuietly(p);
        throw e;
      }
      return serve(settings, listener, "unix " + p, file::remove);
    }

    private UnixStreamServer serve(
        ServerSettings<Connection> settings, ServerSocketChannel listener, String name, Runnable afterClose)
        throws IOException {
      var stream = streamSettings();
      return ServerFactory.create(name, settings, traffic -> StreamAcceptor.open(
          listener, name, stream, channel -> {}, Counters.of(traffic), afterClose), UnixStreamServer::new);
    }

    /** Closes every connection queued before the permissions were set; see {@link #permissions(Set)}. */
    private static void refuseEarlyConnections(ServerSocketChannel listener, Path p) throws IOException {
      listener.configureBlocking(false);
      for (SocketChannel early; (early = listener.accept()) != null; ) {
        log.info("Closing a connection to {} made before its permissions were set", p);
        early.close();
      }
    }
  }
}
