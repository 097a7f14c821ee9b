package dev.socketserver.engine.endpoint;


import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channel;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * A server socket this process inherited instead of binding one (a listening stream socket, or a
 * bound datagram socket), as the transports' {@code inheritedChannel()} takes it: a socket on standard input (descriptor 0: inetd,
 * systemd's {@code StandardInput=socket}, a shell's {@code <&3}) through the JDK's
 * {@link System#inheritedChannel()}; else the first socket systemd passed (socket activation:
 * descriptor 3, adopted by the {@link SocketActivator} that net-unix provides, since that needs
 * native code).
 *
 * <p>Immutable and thread-safe. The server that takes it closes {@code channel}, then runs
 * {@code afterClose} once.
 *
 * @param <C> {@link ServerSocketChannel} for a stream server, {@link DatagramChannel} for a
 *     datagram one
 * @param channel the bound (and, for a stream, listening) socket
 * @param afterClose what to run once {@code channel} is closed: restoring the standard streams,
 *     which the JDK points at {@code /dev/null} when it closes an inherited channel
 */
public record InheritedListener<C extends NetworkChannel>(C channel, Runnable afterClose) {
  /** The first descriptor systemd passes ({@code SD_LISTEN_FDS_START}). */
  public static final int FIRST_DESCRIPTOR = 3;

  /** Checks that both parts are there. */
  public InheritedListener {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(afterClose, "afterClose");
  }

  /**
   * Returns the listening socket this process inherited, for a {@code server} ("TCP server")
   * that needs a Unix-domain socket if {@code unix}, else an IP one. If systemd's variables pass
   * sockets to this process and standard input is not a socket, the first of them (descriptor 3)
   * is adopted; otherwise the JDK's inherited channel (descriptor 0) must be a listening socket.
   *
   * @throws IOException saying what was found instead and how to fix it: no inherited socket,
   *     variables naming another process, systemd's socket without net-unix to adopt it, a socket
   *     of the other family or one that does not listen
   */
  public static InheritedListener<ServerSocketChannel> take(String server, boolean unix) throws IOException {
    return take(server, ServerSocketChannel.class, unix);
  }

  /**
   * Returns the IP datagram (UDP) socket this process inherited, for a {@code server} ("UDP
   * server"), as {@link #take(String, boolean)} finds a listening one: systemd's descriptor 3
   * ({@code ListenDatagram=}), else descriptor 0 (inetd's {@code wait} style).
   *
   * @throws IOException saying what was found instead and how to fix it, as there; also for a
   *     stream or Unix-domain socket
   */
  public static InheritedListener<DatagramChannel> takeDatagram(String server) throws IOException {
    return take(server, DatagramChannel.class, false);
  }

  private static <C extends NetworkChannel> InheritedListener<C> take(String server, Class<C> kind, boolean unix)
      throws IOException {
    boolean stream = kind == ServerSocketChannel.class;
    String socket = stream ? "listening socket" : "datagram socket";
    Optional<Activation> activation = Activation.of(System.getenv());
    if (activation.isPresent() && activation.get().forThisProcess() && !standardInputIsSocket()) {
      Activation a = activation.get();
      SocketActivator activator =
          ServiceLoader.load(SocketActivator.class).findFirst().orElseThrow(() -> new IOException(
              a + " passes this process its socket(s) from descriptor 3, and adopting"
                  + " one needs native code, which only module dev.socketserver.unix (artifact"
                  + " net-unix) has: put it on the module path (and run java with"
                  + " --enable-native-access=dev.socketserver.unix), or set StandardInput=socket in"
                  + " the service unit so that the JDK finds the socket on descriptor 0"));
      return activator.adopt(a, kind, unix);
    }
    Channel channel = System.inheritedChannel();
    if (kind.isInstance(channel)) {
      C inherited = kind.cast(channel);
      boolean isUnix = inherited.getLocalAddress() instanceof UnixDomainSocketAddress;
      if (isUnix != unix) {
        throw new IOException(
            "the inherited " + socket + " (" + inherited.getLocalAddress() + ") is "
                + (isUnix ? "a Unix-domain" : "an IP") + " socket, which a " + server + " cannot serve: use "
                + (isUnix ? "UnixStreamServer" : "TcpServer") + ".builder().inheritedChannel()");
      }
      return new InheritedListener<>(inherited, () -> {});
    }
    if (channel instanceof ServerSocketChannel || channel instanceof DatagramChannel) {
      throw new IOException(
          "the inherited socket on descriptor 0 (" + channel + ") is a "
              + (stream ? "datagram socket, which a " + server + " cannot serve: use UdpServer"
                  : "listening stream socket, which a " + server + " cannot serve: use "
                      + (unix ? "UnixStreamServer" : "TcpServer"))
              + ".builder().inheritedChannel()");
    }
    if (activation.isPresent()) {
      throw new IOException(
          activation.get() + " passes sockets to another process, not this one ("
              + ProcessHandle.current().pid() + "): they were meant for the process systemd started"
              + " (was java started by a shell without `exec`?), and this one has no " + socket
              + " on descriptor 0 either (System.inheritedChannel() is " + channel + ")");
    }
    throw new IOException(
        "no inherited " + socket + ": neither systemd's LISTEN_FDS/LISTEN_PID variables nor"
            + " descriptor 0 (System.inheritedChannel() is " + channel + ") pass one to this"
            + " process. Start it from a systemd .socket unit (" + (stream ? "ListenStream=" : "ListenDatagram=")
            + "; or systemd-socket-activate" + (stream ? "" : " --datagram") + ", or inetd),"
            + " or bind the " + server + " with bind(...)");
  }

  /**
   * Returns whether descriptor 0 is a socket (Linux's {@code /proc/self/fd/0} reads
   * {@code socket:[inode]}), found without asking the JDK, whose first answer is final.
   */
  private static boolean standardInputIsSocket() {
    try {
      return Files.readSymbolicLink(Path.of("/proc/self/fd/0")).toString().startsWith("socket:");
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /**
   * What systemd's socket-activation variables say: {@code fds} listening sockets from descriptor
   * 3 ({@code LISTEN_FDS}), passed to process {@code pid} ({@code LISTEN_PID}; 0 if unset), with
   * their {@code names} ({@code LISTEN_FDNAMES}, colon-separated; empty if unset).
   *
   * <p>Immutable and thread-safe.
   */
  public record Activation(int fds, long pid, List<String> names) {
    /** Copies {@code names}. */
    public Activation {
      names = List.copyOf(names);
    }

    /**
     * Returns what {@code env}'s variables say, empty if {@code LISTEN_FDS} is unset, empty or 0
     * (as {@code sd_listen_fds(3)}).
     *
     * @throws IOException if {@code LISTEN_FDS} or {@code LISTEN_PID} is not a number
     */
    public static Optional<Activation> of(Map<String, String> env) throws IOException {
      String fds = env.getOrDefault("LISTEN_FDS", "");
      if (fds.isEmpty()) {
        return Optional.empty();
      }
      int count = (int) number("LISTEN_FDS", fds, Integer.MAX_VALUE - FIRST_DESCRIPTOR);
      if (count == 0) {
        return Optional.empty();
      }
      String pid = env.getOrDefault("LISTEN_PID", "");
      String names = env.getOrDefault("LISTEN_FDNAMES", "");
      return Optional.of(new Activation(
          count,
          pid.isEmpty() ? 0 : number("LISTEN_PID", pid, Long.MAX_VALUE),
          names.isEmpty() ? List.of() : List.of(names.split(":", -1))));
    }

    private static long number(String variable, String text, long max) throws IOException {
      try {
        long n = Long.parseLong(text);
        if (n >= 0 && n <= max) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IOException(variable + " is not a number 0.." + max + ": '" + text + "'");
    }

    /** Returns whether {@code LISTEN_PID} is this process's id. */
    public boolean forThisProcess() {
      return pid == ProcessHandle.current().pid();
    }

    /** Returns the name systemd gave descriptor {@code 3 + index}, or "" if none. */
    public String name(int index) {
      return index < names.size() ? names.get(index) : "";
    }

    /** Returns the variables as they were set: {@code "LISTEN_FDS=1 LISTEN_PID=4242"}. */
    @Override
    public String toString() {
      return "LISTEN_FDS=" + fds + " LISTEN_PID=" + (pid == 0 ? "(unset)" : pid)
          + (names.isEmpty() ? "" : " LISTEN_FDNAMES=" + String.join(":", names));
    }
  }
}
