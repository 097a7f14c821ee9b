package dev.socketserver.udp;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Datagram;
import dev.socketserver.api.Server;
import dev.socketserver.api.ServerMetrics;
import dev.socketserver.engine.endpoint.InheritedListener;
import dev.socketserver.engine.endpoint.IpBinding;
import dev.socketserver.engine.endpoint.IpEndpoint;
import dev.socketserver.engine.prefork.Prefork;
import dev.socketserver.spi.AbstractDatagramServerBuilder;
import dev.socketserver.spi.ForwardingServer;
import dev.socketserver.spi.ServerSettings;
import dev.socketserver.spi.factory.ServerFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.MembershipKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * A UDP server: Python's {@code UDPServer} and {@code ThreadingUDPServer}, one datagram per
 * request, with every {@link dev.socketserver.api.Concurrency} policy.
 *
 * {@snippet :
 * try (UdpServer server = UdpServer.builder()
 *         .bind("localhost", 3130)
 *         .handler(d -> d.reply(d.payload()))   // echo
 *         .build()) {
 *     server.serveForever();
 * }
 * }
 *
 * <p><b>Datagrams.</b> The handler gets its own copy of each payload and may keep it or reply
 * later, from any thread. Nothing is sent unless it calls {@link Datagram#reply} (unlike Python,
 * not even after a failure). A datagram longer than {@code maxDatagramSize} (by default 65 507
 * bytes, the UDP maximum over IPv4, so nothing is cut) never reaches the handler: the error
 * handler gets a {@link dev.socketserver.api.FrameTooLongException} naming the limit, the request
 * counts as failed, and the server carries on.
 *
 * <p><b>Limits and drops.</b> With {@code limit(n)} the serving thread stops receiving while
 * {@code n} handlers run. Datagrams then wait in the socket's receive buffer (SO_RCVBUF, see
 * {@code receiveBufferSize}); once it is full the kernel drops what arrives, silently: UDP has no
 * backpressure. {@link #kernelDrops()} counts these drops where the OS lets the JVM see them, and
 * the count is logged at INFO when the server terminates.
 *
 * <p><b>Lifecycle.</b> As every {@link Server}; {@code shutdown()} stops receiving at once, while
 * the socket stays open until termination so that handlers in flight can still reply. Datagrams
 * that arrive after the shutdown are never served.
 *
 * <p><b>Addresses.</b> The address family follows the bind address, as for TCP: an IPv4 address
 * gives an IPv4 socket, an IPv6 address an IPv6 socket, the wildcard ({@code bind(port)}) a
 * dual-stack socket. On a wildcard socket {@link Datagram#localAddress()} is the wildcard, not the
 * address the client sent to (the JDK cannot read IP_PKTINFO), and the kernel picks the source
 * address of replies by its routes.
 *
 * <p><b>Multicast.</b> {@link Builder#joinGroup} joins groups when the server is built;
 * {@link #joinGroup} and {@link #leaveGroup} change them while it runs, from any thread, a handler
 * included ({@code (UdpServer) datagram.server()}). To receive a group's datagrams, bind to the group's port on the wildcard or on
 * the group address itself (the latter receives that group only).
 *
 * <p>Who closes what: the server owns its socket and releases it on termination; {@link #close()}
 * a second time returns at once. Thread-safe: every method may be called from any thread.
 */
public final class UdpServer extends ForwardingServer {
  private final @Nullable UdpAcceptor acceptor; // null for the supervisor, which has no socket
  private final Set<MembershipKey> memberships = ConcurrentHashMap.newKeySet();

  /** Wraps {@code core}: a server core, or the supervisor of a processes(n) server. */
  private UdpServer(Server core, @Nullable UdpAcceptor acceptor, List<MembershipKey> joined) {
    super(core);
    this.acceptor = acceptor;
    this.memberships.addAll(joined);
  }

  /** Returns a new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns how many datagrams the kernel has dropped for this server's socket since it was
   * opened: nearly always because its receive buffer was full (a few may have had a bad checksum).
   * After termination, the count at termination.
   *
   * <p>Empty where it cannot be seen. The JDK offers no socket option for it (Linux's
   * {@code SO_RXQ_OVFL} is not exposed) and no way to get the socket's descriptor; on Linux it is
   * read from the {@code drops} column of {@code /proc/net/udp} (or {@code udp6}) for the only
   * socket of this process bound to the server's port. Elsewhere, or when several sockets of this
   * process share the port (SO_REUSEPORT), it is empty; empty too for the supervisor of a
   * {@code processes(n)} server, which has no socket (each worker can tell its own).
   */
  public OptionalLong kernelDrops() {
    return acceptor == null ? OptionalLong.empty() : acceptor.kernelDrops();
  }

  /**
   * Joins the multicast {@code group} on {@code networkInterface}, or returns the key of the
   * membership if the server is already a member there (a group joined by the builder included).
   * {@link MembershipKey#drop()} leaves the group, and {@code block(source)} filters senders.
   *
   * @throws IllegalArgumentException if {@code group} is not a multicast address, or its family
   *     does not fit the server's socket (an IPv6 group on an IPv4 server)
   * @throws IOException if the interface cannot join it, or the server has terminated
   * @throws IllegalStateException on the supervisor of a {@code processes(n)} server, which has
   *     no socket
   */
  public MembershipKey joinGroup(InetAddress group, NetworkInterface networkInterface)
      throws IOException {
    UdpAcceptor a = acceptor;
    if (a == null) {
      throw new IllegalStateException(
          "a processes(n) server receives in its workers: it has no socket here to join a group with");
    }
    MembershipKey key = a.join(checkGroup(group), networkInterface);
    memberships.add(key);
    return key;
  }

  /**
   * Leaves the multicast {@code group} on {@code networkInterface}.
   *
   * @return whether the server was a member there
   */
  public boolean leaveGroup(InetAddress group, NetworkInterface networkInterface) {
    boolean[] left = {false};
    memberships.removeIf(key -> {
      if (!key.group().equals(group) || !key.networkInterface().equals(networkInterface)) {
        return false;
      }
      left[0] |= key.isValid();
      key.drop();
      return true;
    });
    return left[0];
  }

  /** {@inheritDoc} Always an {@code InetSocketAddress}. */
  @Override
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) super.localAddress();
  }

  /**
   * {@inheritDoc}
   *
   * <p>For a UDP server: {@code accepted} counts datagrams received (over-long ones included),
   * {@code replies} the datagrams sent with {@link Datagram#reply}.
   */
  @Override
  public ServerMetrics metrics() {
    return super.metrics();
  }

  @Override
  public UdpServer start() {
    super.start();
    return this;
  }

  private static InetAddress checkGroup(InetAddress group) {
    if (!group.isMulticastAddress()) {
      throw new IllegalArgumentException("not a multicast group address: " + group);
    }
    return group;
  }

  /**
   * Configures and builds a UDP server. {@link #build()} binds.
   *
   * <p>Not thread-safe: configure it on one thread.
   */
  public static final class Builder extends AbstractDatagramServerBuilder<Builder> {
    private record Group(InetAddress group, NetworkInterface networkInterface) {}

    private final IpEndpoint endpoint = new IpEndpoint("UDP server", false);
    private final List<Group> groups = new ArrayList<>();
    private int pollers = 1;

    private Builder() {}

    /** Binds to {@code address}; port 0 picks a free port. */
    public Builder bind(InetSocketAddress address) {
      endpoint.bind(address);
      return this;
    }

    /**
     * Serves on the UDP socket this process inherited, instead of binding one: systemd socket
     * activation ({@code ListenDatagram=}), or inetd's {@code wait} style. {@link #build()} takes:
     * <ul>
     *   <li>a UDP socket on standard input, descriptor 0 (inetd {@code dgram wait}, systemd's
     *       {@code StandardInput=socket}), through the JDK's {@link System#inheritedChannel()};
     *       this needs no native code;</li>
     *   <li>else the first socket systemd passed, descriptor 3, when {@code LISTEN_PID} is this
     *       process and {@code LISTEN_FDS} is at least 1: a {@code .socket} unit with
     *       {@code ListenDatagram=PORT}, or
     *       {@code systemd-socket-activate --datagram -l PORT java ...}. Adopting it calls libc, so
     *       module {@code dev.socketserver.unix} (artifact net-unix) must be on the module path
     *       (this module does not depend on it; it is found as a service), and the JVM should run
     *       with {@code --enable-native-access=dev.socketserver.unix}. One socket per process (the
     *       JDK adopts one inherited channel): if systemd passes more, the others stay unserved
     *       and a warning says so. Standard output and error keep working after the server
     *       closes.</li>
     * </ul>
     * The server owns the socket and serves it exactly as one it bound (buffer sizes and groups
     * apply; {@code reuseAddress}/{@code reusePort} do not, the socket being bound already). If
     * there is none, the variables name another process, the socket is not an IP datagram socket
     * (a stream socket is refused naming {@code TcpServer}), or net-unix is missing,
     * {@code build()} fails with an {@code IOException} saying which and what to do. Not with
     * {@link Concurrency#processes(int)}.
     *
     * <p>IPv4: the JDK takes every inherited datagram socket for an IPv6 one where IPv6 is
     * available, and could then not reply on an IPv4 socket ({@code ListenDatagram=127.0.0.1:PORT}):
     * {@code build()} refuses it, unless java runs with {@code -Djava.net.preferIPv4Stack=true}.
     * Sockets of both families ({@code ListenDatagram=PORT}) and IPv6 ones need nothing. A socket
     * refused is left open, as found.
     */
    public Builder inheritedChannel() {
      endpoint.inherit();
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
     * Sets SO_REUSEADDR; off by default (as Python's {@code UDPServer}). For UDP it lets several
     * sockets bind the same address and port, which multicast receivers want; a unicast datagram
     * then reaches only one of them.
     */
    public Builder reuseAddress(boolean on) {
      endpoint.reuseAddress(on);
      return this;
    }

    /**
     * Sets SO_REUSEPORT, so several sockets (processes) can bind the same port and the kernel
     * spreads datagrams across them by sender; off by default.
     */
    public Builder reusePort(boolean on) {
      endpoint.reusePort(on);
      return this;
    }

    /**
     * Receives on {@code n} sockets instead of one, each with a thread of its own, so that
     * receiving a busy server's datagrams scales over {@code n} cores. The sockets form one
     * SO_REUSEPORT group bound to the address (port 0: the port the first one got), and the
     * kernel spreads datagrams over them by sender address, so one client's datagrams all come in
     * on one socket, in order; each reply goes out on the socket its request came in on. One by
     * default: with more, the port is bound with SO_REUSEPORT, which also lets another process of
     * the same user bind it (and take a share of the datagrams) where a second bind would
     * otherwise fail. Kernel drops are summed over the sockets. With
     * {@link Concurrency#processes(int)} each worker binds {@code n}.
     *
     * <p>{@link #build()} refuses more than one with {@link #inheritedChannel()} (one socket was
     * passed) or with multicast groups (each socket would receive every datagram of a group).
     *
     * @throws IllegalArgumentException if {@code n} is out of 1..1024
     */
    public Builder pollers(int n) {
      this.pollers = ServerSettings.checkPollers(n);
      return this;
    }

    /**
     * Joins the multicast {@code group} on {@code networkInterface} when the server is built; may
     * be called for several groups and interfaces. The server leaves them when it terminates, or
     * earlier by {@link UdpServer#leaveGroup}.
     *
     * @throws IllegalArgumentException if {@code group} is not a multicast address
     */
    public Builder joinGroup(InetAddress group, NetworkInterface networkInterface) {
      groups.add(new Group(checkGroup(group), Objects.requireNonNull(networkInterface, "networkInterface")));
      return this;
    }

    /** UDP serves {@link Concurrency#processes(int)}: its workers share the port with SO_REUSEPORT. */
    @Override
    protected boolean sharesAddressAcrossProcesses() {
      return true;
    }

    /**
     * Binds the socket, joins the multicast groups and returns the server, ready to serve.
     *
     * <p>With {@link Concurrency#processes(int)} this also starts the worker processes and returns
     * once they listen (see there); in a worker it returns the worker's own server. Multicast
     * groups cannot be joined then: every worker would receive each datagram of the group.
     *
     * @throws IOException if the socket cannot be bound (the message says which address and
     *     what to do) or a group cannot be joined; nothing is left open
     * @throws IllegalStateException if the handler or the address is missing, or groups are
     *     joined with processes
     */
    @Override
    public UdpServer build() throws IOException {
      var settings = settings();
      if (pollers > 1 && !groups.isEmpty()) {
        throw new IllegalStateException("pollers(" + pollers + ") with multicast groups: each socket"
            + " would receive every datagram of a group; join groups with one poller");
      }
      if (endpoint.inherited(settings.concurrency())) {
        if (pollers > 1) {
          throw new IllegalStateException("pollers(" + pollers + ") with inheritedChannel(): the"
              + " process was passed one socket; serve it with one poller");
        }
        InheritedListener<DatagramChannel> socket = InheritedListener.takeDatagram("UDP server");
        // refused, it is left open as found: the JDK points standard output at /dev/null when it
        // closes a channel inherited on descriptor 0, and the message should still be seen
        checkCanReply(socket.channel());
        configure(socket.channel());
        return serve(settings, List.of(socket.channel()), socket.afterClose());
      }
      InetSocketAddress a = endpoint.address();
      if (settings.concurrency() instanceof Concurrency.Processes) {
        if (!groups.isEmpty()) {
          throw new IllegalStateException(
              "Concurrency.processes(n) with multicast groups: every worker would receive each"
                  + " datagram of a group; join groups with a one-process policy");
        }
        Server server = Prefork.build("udp", settings, a, Builder::reservation, (s, at) -> bind(s, at, true));
        return server instanceof UdpServer worker ? worker : new UdpServer(server, null, List.of());
      }
      return bind(settings, a, false);
    }

    /**
     * Finds the workers' port. A bound UDP socket would take its share of the group's datagrams
     * and connecting it stops Linux spreading them (see {@code Prefork}), so nothing holds the port:
     * the probe is closed at once and the workers hold the port from then on.
     */
    private static Prefork.Reserved reservation(InetSocketAddress a) throws IOException {
      try (DatagramChannel probe = IpBinding.bound("UDP server", a, Builder::open, (p, at) -> {
        Prefork.reusePort(p);
        p.bind(at);
      })) {
        return new Prefork.Reserved((InetSocketAddress) probe.getLocalAddress(), () -> {});
      }
    }

    private UdpServer bind(ServerSettings<Datagram> settings, InetSocketAddress a, boolean worker)
        throws IOException {
      List<DatagramChannel> channels = new ArrayList<>();
      try {
        InetSocketAddress at = a;
        for (int i = 0; i < pollers; i++) {
          DatagramChannel channel = endpoint.open(at, Builder::open, (c, to) -> {
            if (pollers > 1) {
              Prefork.reusePort(c); // one SO_REUSEPORT group; the later ones bind the first's port
            }
            configure(c);
            c.bind(to);
          }, worker);
          channels.add(channel);
          at = (InetSocketAddress) channel.getLocalAddress();
        }
      } catch (IOException | RuntimeException e) {
        for (DatagramChannel c : channels) {
          c.close();
        }
        throw e;
      }
      return serve(settings, channels, () -> {});
    }

    private static DatagramChannel open(@Nullable ProtocolFamily family) throws IOException {
      return family == null ? DatagramChannel.open() : DatagramChannel.open(family);
    }

    /**
     * Refuses an inherited IPv4 socket that the JDK takes for an IPv6 one: it builds every
     * inherited datagram channel as IPv6 when IPv6 is available (unless
     * {@code java.net.preferIPv4Stack} is set), so it would address replies in IPv6 form, which an
     * IPv4 socket refuses (EAFNOSUPPORT): datagrams would be received and never answered.
     */
    private static void checkCanReply(DatagramChannel channel) throws IOException {
      if (!(channel.getLocalAddress() instanceof InetSocketAddress local)
          || !(local.getAddress() instanceof java.net.Inet4Address)
          || Boolean.getBoolean("java.net.preferIPv4Stack")) {
        return;
      }
      try {
        DatagramChannel.open(java.net.StandardProtocolFamily.INET6).close();
      } catch (UnsupportedOperationException | IOException noIpv6) {
        return; // the JDK took the inherited socket for an IPv4 one
      }
      throw new IOException(
          "the inherited UDP socket (" + local + ") is an IPv4 socket, and the JDK takes an"
              + " inherited datagram socket for an IPv6 one where IPv6 is available, so every reply"
              + " would fail (Address family not supported): run java with"
              + " -Djava.net.preferIPv4Stack=true, or listen on IPv6 or both (ListenDatagram=PORT,"
              + " ListenDatagram=[::1]:PORT)");
    }

    /** Sets the buffer sizes asked for on {@code channel}, bound or not. */
    private void configure(DatagramChannel channel) throws IOException {
      if (receiveBufferSize() > 0) {
        channel.setOption(StandardSocketOptions.SO_RCVBUF, receiveBufferSize());
      }
      if (sendBufferSize() > 0) {
        channel.setOption(StandardSocketOptions.SO_SNDBUF, sendBufferSize());
      }
    }

    /**
     * Joins the groups on the first of the bound {@code channels} (there is one when there are
     * groups) and serves them; on failure closes them and runs {@code afterClose}, which otherwise
     * runs once termination has closed them.
     */
    private UdpServer serve(ServerSettings<Datagram> settings, List<DatagramChannel> channels, Runnable afterClose)
        throws IOException {
      List<MembershipKey> joined = new ArrayList<>();
      String name;
      DatagramChannel first = channels.getFirst();
      try {
        for (Group g : groups) {
          joined.add(join(first, g));
        }
        name = "udp " + first.getLocalAddress();
      } catch (IOException | RuntimeException e) {
        for (DatagramChannel c : channels) {
          c.close();
        }
        afterClose.run();
        throw e;
      }
      UdpAcceptor[] acceptor = new UdpAcceptor[1]; // the opener runs before the wrapper
      return ServerFactory.create(name, settings,
          traffic -> acceptor[0] = UdpAcceptor.open(channels, maxDatagramSize(), traffic, name, afterClose),
          core -> new UdpServer(core, acceptor[0], joined));
    }

    private static MembershipKey join(DatagramChannel channel, Group g) throws IOException {
      try {
        return channel.join(g.group(), g.networkInterface());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "cannot join multicast group " + g.group().getHostAddress() + ": " + e.getMessage()
                + " (an IPv6 group needs an IPv6 or wildcard bind address)", e);
      } catch (IOException e) {
        throw new IOException(
            "cannot join multicast group " + g.group().getHostAddress() + " on interface "
                + g.networkInterface().getName() + ": " + e.getMessage()
                + " (is the interface up and multicast-capable? choose another with"
                + " NetworkInterface.getByName)", e);
      }
    }
  }
}
