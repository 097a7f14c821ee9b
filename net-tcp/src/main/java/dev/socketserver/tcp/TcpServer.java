package dev.socketserver.tcp;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Connection;
import dev.socketserver.api.DrainReport;
import dev.socketserver.api.Server;
import dev.socketserver.engine.endpoint.InheritedListener;
import dev.socketserver.engine.endpoint.IpBinding;
import dev.socketserver.engine.endpoint.IpEndpoint;
import dev.socketserver.engine.prefork.Prefork;
import dev.socketserver.engine.stream.StreamAcceptor;
import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.spi.AbstractStreamServerBuilder;
import dev.socketserver.spi.ForwardingServer;
import dev.socketserver.spi.ServerSettings;
import dev.socketserver.spi.factory.ServerFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A TCP server: Python's {@code TCPServer}, {@code ThreadingTCPServer} and friends, chosen by
 * {@link dev.socketserver.api.Concurrency} policy.
 *
 * {@snippet :
 * try (TcpServer server = TcpServer.builder()
 *         .bind(new InetSocketAddress("localhost", 3130))
 *         .concurrency(Concurrency.virtualThreads().limit(10_000))
 *         .handler(c -> c.input().transferTo(c.output()))
 *         .build()) {
 *     server.serveForever();
 * }
 * }
 *
 * <p>The address family follows the bind address: an IPv4 address gives an IPv4 socket, an IPv6
 * address an IPv6 socket, and the wildcard ({@code bind(port)}, or host {@code ""}) a dual-stack
 * socket that accepts both where the OS allows it. {@link #localAddress()} is that address,
 * port 0 resolved, ready for {@link TcpClient#connect(InetSocketAddress, java.time.Duration)}.
 *
 * <p>Lifecycle as every {@link Server}. Who closes what: the server owns its listening socket and
 * every connection it accepted; {@link #close()} a second time returns at once. Thread-safe:
 * every method may be called from any thread, a handler included ({@link Connection#server()}).
 */
public final class TcpServer extends ForwardingServer {
  private @Nullable AgentCheck agent;
  private Duration drainGrace = Duration.ZERO;

  private TcpServer(Server server) {
    super(server);
  }

  /** Returns where the HAProxy agent check answers, if {@link Builder#agentCheck} set one. */
  public Optional<InetSocketAddress> agentCheckAddress() {
    AgentCheck a = agent;
    return a == null ? Optional.empty() : Optional.of(a.address());
  }

  /**
   * {@inheritDoc}
   *
   * <p>With an {@linkplain Builder#agentCheck agent check}, the agent says {@code drain} first and
   * the server goes on accepting for the {@linkplain Builder#drainGrace drain grace}, so the
   * balancer stops sending before the listener goes away; the drain's {@code timeout} starts
   * after the grace.
   */
  @Override
  public DrainReport drain(Duration timeout) throws InterruptedException {
    announceDrain();
    try {
      return super.drain(timeout);
    } finally {
      closeAgent();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>With an {@linkplain Builder#agentCheck agent check}, as {@link #drain}: the agent says
   * {@code drain} first and the server goes on accepting for the drain grace, on the calling
   * thread, before it stops accepting (a program stopping on SIGTERM calls this, and without the
   * grace the balancer would still be sending when the listener closes).
   */
  @Override
  public void shutdown() {
    announceDrainUnlessInterrupted();
    super.shutdown();
  }

  /** {@inheritDoc} With an agent check, as {@link #drain}: {@code drain} first, then the grace. */
  @Override
  public void close() {
    announceDrainUnlessInterrupted();
    try {
      super.close();
    } finally {
      closeAgent();
    }
  }

  /** {@link #announceDrain}, cut short by an interrupt: the caller then stops at once. */
  private void announceDrainUnlessInterrupted() {
    try {
      announceDrain();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void announceDrain() throws InterruptedException {
    AgentCheck a = agent;
    if (a != null && state() == State.RUNNING) {
      a.drain();
      Thread.sleep(drainGrace); // the balancer's next agent checks see "drain" meanwhile
    }
  }

  private void closeAgent() {
    AgentCheck a = agent;
    if (a != null) {
      a.close();
    }
  }

  /** {@inheritDoc} Always an {@code InetSocketAddress}. */
  @Override
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) super.localAddress();
  }

  @Override
  public TcpServer start() {
    super.start();
    return this;
  }

  /** Returns a new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Configures and builds a TCP server. {@link #build()} binds and listens.
   *
   * <p>Not thread-safe: configure it on one thread.
   */
  public static final class Builder extends AbstractStreamServerBuilder<Builder> {
    private static final Duration DEFAULT_DRAIN_GRACE = Duration.ofSeconds(2);
    private final IpEndpoint endpoint = new IpEndpoint("TCP server", true);
    private int backlog = 1024;
    private int listeners = 1;
    private @Nullable InetSocketAddress agentCheck;
    private int agentPort = -1; // on the server's host; -1: none
    private @Nullable Duration drainGrace;
    private final Map<SocketOption<?>, Object> connectionOptions = new LinkedHashMap<>();

    private Builder() {
      connectionOptions.put(StandardSocketOptions.TCP_NODELAY, true);
    }

    /** Binds to {@code address}; port 0 picks a free port. */
    public Builder bind(InetSocketAddress address) {
      endpoint.bind(address);
      return this;
    }

    /**
     * Binds to {@code host} ({@code ""} for every interface, dual-stack) and {@code port} (0 picks
     * a free port).
     *
     * @throws IllegalArgumentException if {@code port} is out of 0..65535
     */
    public Builder bind(String host, int port) {
      endpoint.bind(host, port);
      return this;
    }

    /**
     * Binds to {@code port} on every interface (dual-stack); 0 picks a free port.
     *
     * @throws IllegalArgumentException if {@code port} is out of 0..65535
     */
    public Builder bind(int port) {
      endpoint.bind("", port);
      return this;
    }

    /**
     * Serves on the listening socket this process inherited, instead of binding one: systemd
     * socket activation, or inetd (Python's {@code socket.fromfd}). {@link #build()} takes:
     * <ul>
     *   <li>a listening socket on standard input, descriptor 0 (inetd, systemd's
     *       {@code StandardInput=socket}), through the JDK's {@link System#inheritedChannel()};
     *       this needs no native code;</li>
     *   <li>else the first socket systemd passed, descriptor 3, when {@code LISTEN_PID} is this
     *       process and {@code LISTEN_FDS} is at least 1: a {@code .socket} unit with
     *       {@code ListenStream=PORT} and {@code Accept=no}, or
     *       {@code systemd-socket-activate -l PORT java ...}. Adopting it calls libc, so module
     *       {@code dev.socketserver.unix} (artifact net-unix) must be on the module path (this
     *       module does not depend on it; it is found as a service), and the JVM should run with
     *       {@code --enable-native-access=dev.socketserver.unix}. One socket per process (the JDK
     *       adopts one inherited channel): if systemd passes more, the others stay unserved and a
     *       warning says so. Standard output and error keep working after the server closes.</li>
     * </ul>
     * The server owns the socket and closes it. If there is none, the variables name another
     * process, the socket is not a listening TCP socket, or net-unix is missing, {@code build()}
     * fails with an {@code IOException} saying which and what to do. Not with
     * {@link Concurrency#processes(int)}.
     */
    public Builder inheritedChannel() {
      endpoint.inherit();
      return this;
    }

    /**
     * Answers HAProxy's agent check on {@code port} of the server's host (port 0: any free port,
     * see {@link TcpServer#agentCheckAddress()}): {@code up} while the server runs, {@code drain}
     * as soon as {@code drain()} or {@code close()} begins (a SIGTERM in the examples), and then
     * the server keeps accepting for the {@linkplain #drainGrace drain grace} before it stops, so
     * the balancer moves new connections elsewhere before the listener goes away. HAProxy side:
     * {@code server s1 10.0.0.1:3130 check agent-check agent-port 3131 agent-inter 500ms}. Not
     * started in a {@code processes(n)} worker (the supervisor process runs it).
     *
     * @throws IllegalArgumentException if {@code port} is out of 0..65535
     */
    public Builder agentCheck(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("agent check port out of 0..65535: " + port);
      }
      this.agentPort = port;
      this.agentCheck = null;
      return this;
    }

    /** Answers HAProxy's agent check at {@code address}; as {@link #agentCheck(int)}. */
    public Builder agentCheck(InetSocketAddress address) {
      this.agentCheck = Objects.requireNonNull(address, "address");
      this.agentPort = -1;
      return this;
    }

    /**
     * Sets how long a drain keeps accepting after the agent check said {@code drain}: a few of the
     * balancer's agent intervals. 2 s by default with an agent check (no grace without one).
     *
     * @throws IllegalArgumentException if {@code grace} is negative
     */
    public Builder drainGrace(Duration grace) {
      if (grace.isNegative()) {
        throw new IllegalArgumentException("drainGrace < 0: " + grace);
      }
      this.drainGrace = grace;
      return this;
    }

    /**
     * Sets the listen backlog: connections the kernel queues while the server is busy; 1024 by
     * default (Python's 5 refuses clients under a burst of connects). The kernel may cap it
     * ({@code net.core.somaxconn}).
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
     * Sets SO_REUSEADDR on the listening socket, so a restarted server can bind while old
     * connections linger in TIME_WAIT; on by default.
     */
    public Builder reuseAddress(boolean on) {
      endpoint.reuseAddress(on);
      return this;
    }

    /**
     * Sets SO_REUSEPORT on the listening socket, so several sockets (processes) can listen on the
     * same port and the kernel spreads connections across them; off by default.
     */
    public Builder reusePort(boolean on) {
      endpoint.reusePort(on);
      return this;
    }

    /**
     * Listens on {@code n} sockets of one SO_REUSEPORT group instead of one, each accepted from by
     * a thread of its own (nginx's {@code reuseport}), so that accepting a high rate of new
     * connections scales over cores; the kernel spreads connections over them by the client's
     * address and port. One by default: one accepting thread keeps up with what the pollers can
     * serve unless connections are very short-lived (BENCHMARKS.md, connection rate), and with
     * more the port is bound with SO_REUSEPORT, which also lets another process of the same user
     * listen on it. Each listener has its own backlog of {@code backlog}. Refused with
     * {@link #inheritedChannel()} (the process was passed one socket).
     *
     * @throws IllegalArgumentException if {@code n} is out of 1..1024
     */
    public Builder listeners(int n) {
      this.listeners = ServerSettings.checkPollers(n);
      return this;
    }

    /**
     * Sets TCP_NODELAY on every connection; on by default, since output is buffered and flushed
     * as whole replies (Python's {@code disable_nagle_algorithm}, which defaults to off and costs
     * a delayed-ACK stall per request).
     */
    public Builder tcpNoDelay(boolean on) {
      return socketOption(StandardSocketOptions.TCP_NODELAY, on);
    }

    /**
     * Sets a socket option on every accepted connection, for example
     * {@code StandardSocketOptions.SO_KEEPALIVE}. An option the platform does not support fails
     * {@link #build()}.
     */
    public <T> Builder socketOption(SocketOption<T> option, T value) {
      connectionOptions.put(Objects.requireNonNull(option, "option"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** TCP serves {@link Concurrency#processes(int)}: its workers share the port with SO_REUSEPORT. */
    @Override
    protected boolean sharesAddressAcrossProcesses() {
      return true;
    }

    /**
     * {@inheritDoc}
     *
     * <p>With {@link Concurrency#processes(int)} this also starts the worker processes and returns
     * once they listen (see there); in a worker it returns the worker's own server.
     */
    @Override
    public TcpServer build() throws IOException {
      var settings = settings();
      var options = Map.copyOf(connectionOptions);
      try (SocketChannel probe = SocketChannel.open()) {
        for (SocketOption<?> option : options.keySet()) {
          if (!probe.supportedOptions().contains(option)) {
            throw new IllegalArgumentException(
                "socket option " + option.name() + " is not supported on TCP connections here");
          }
        }
      }
      if (endpoint.inherited(settings.concurrency())) {
        if (listeners > 1) {
          throw new IllegalStateException("listeners(" + listeners + ") with inheritedChannel(): the"
              + " process was passed one socket; serve it with one listener");
        }
        InheritedListener<ServerSocketChannel> listener = InheritedListener.take("TCP server", false);
        return serve(settings, List.of(listener.channel()), options, listener.afterClose());
      }
      InetSocketAddress a = endpoint.address();
      if (settings.concurrency() instanceof Concurrency.Processes) {
        Server server = Prefork.build(
            "tcp", settings, a, Builder::reservation, (s, at) -> serve(s, listen(at, true), options, () -> {}));
        return server instanceof TcpServer worker ? worker : withAgent(new TcpServer(server));
      }
      return withAgent(serve(settings, listen(a, false), options, () -> {}));
    }

    /** Starts the agent check, if one was asked for (and this is no worker); on failure closes {@code server}. */
    private TcpServer withAgent(TcpServer server) throws IOException {
      InetSocketAddress at = agentPort >= 0
          ? new InetSocketAddress(server.localAddress().getAddress(), agentPort)
          : agentCheck;
      if (at == null || Concurrency.worker().isPresent()) {
        return server;
      }
      try {
        server.agent = AgentCheck.open(at);
      } catch (IOException | RuntimeException e) {
        server.shutdownNow();
        throw e;
      }
      Duration grace = drainGrace;
      server.drainGrace = grace == null ? DEFAULT_DRAIN_GRACE : grace;
      return server;
    }

    private TcpServer serve(
        ServerSettings<Connection> settings,
        List<ServerSocketChannel> listening,
        Map<SocketOption<?>, Object> options,
        Runnable afterClose)
        throws IOException {
      String name = "tcp " + listening.getFirst().getLocalAddress();
      var stream = streamSettings();
      return ServerFactory.create(name, settings, traffic -> StreamAcceptor.open(
          listening, name, stream, channel -> configure(channel, options), Counters.of(traffic), afterClose),
          TcpServer::new);
    }

    /**
     * Binds a processes server's reservation: a TCP socket that is bound with SO_REUSEPORT and
     * never listens, so it gets no connection (see {@link Prefork}). SO_REUSEADDR is off, so that no
     * socket outside the workers' group can bind the port while they are all down.
     */
    private static Prefork.Reserved reservation(InetSocketAddress a) throws IOException {
      SocketChannel socket = IpBinding.bound(
          "TCP server", a, f -> f == null ? SocketChannel.open() : SocketChannel.open(f), (s, at) -> {
            IpBinding.reuse(s, false, false);
            Prefork.reusePort(s);
            s.bind(at);
          });
      return Prefork.Reserved.by(socket);
    }

    /** Binds the listeners: one, or {@code listeners} of one SO_REUSEPORT group on the first's port. */
    private List<ServerSocketChannel> listen(InetSocketAddress a, boolean worker) throws IOException {
      List<ServerSocketChannel> bound = new ArrayList<>();
      try {
        InetSocketAddress at = a;
        for (int i = 0; i < listeners; i++) {
          ServerSocketChannel l = endpoint.open(
              at, f -> f == null ? ServerSocketChannel.open() : ServerSocketChannel.open(f),
              (listener, to) -> {
                if (listeners > 1) {
                  Prefork.reusePort(listener);
                }
                listener.bind(to, backlog);
              }, worker);
          bound.add(l);
          at = (InetSocketAddress) l.getLocalAddress();
        }
      } catch (IOException | RuntimeException e) {
        for (ServerSocketChannel l : bound) {
          l.close();
        }
        throw e;
      }
      return bound;
    }

    @SuppressWarnings("unchecked") // each value was put with its own option's type
    private static void configure(SocketChannel channel, Map<SocketOption<?>, Object> options)
        throws IOException {
      for (var e : options.entrySet()) {
        channel.setOption((SocketOption<Object>) e.getKey(), e.getValue());
      }
    }
  }
}
