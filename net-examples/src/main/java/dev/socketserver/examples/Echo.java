package dev.socketserver.examples;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Connection;
import dev.socketserver.api.ProxyProtocol;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.Server;
import dev.socketserver.tcp.TcpServer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.TemporalAccessor;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * The seed's {@code ThreadingTCPServer} echo server on port 3130: greets each client with
 * {@code Connection <host>:<port> at <ctime> succeed!}, then sends back every byte it receives
 * until the client closes. Each connection runs on its own virtual thread by default.
 *
 * <pre>{@code
 * class Servers(SRH):
 *     def handle(self):
 *         print 'Got connection from ', self.client_address
 *         self.wfile.write('Connection %s:%s at %s succeed!' % (host, port, ctime()))
 *         while True:
 *             data = self.request.recv(1024)
 *             if not data: break
 *             self.request.send(data)
 *
 * print 'server is running ....'
 * server = SocketServer.ThreadingTCPServer(addr, Servers)
 * server.serve_forever()
 * }</pre>
 *
 * <p>Two differences from the seed, both on purpose: the greeting ends with {@code \r\n}, so a
 * line-by-line client reads the greeting as one line and then each echo as the next (the seed's
 * client, reading whatever {@code recv} returns, stays one reply behind); and
 * {@code <host>:<port>} is the address the client actually reached, not the empty bind host.
 *
 * <p>Exposed as it is, it stays safe: it listens on loopback unless {@code --host} says otherwise,
 * and closes a client that sends nothing for 30 s while it waits to read, or moves no byte for
 * 60 s (one that never reads its echoes), so silent clients cannot hold {@code --limit} slots for
 * ever; {@code --read-timeout} and {@code --idle-timeout} change both ({@code 0}: never).
 *
 * Try it: {@code ./run echo}, then {@code ./run echo-client} or {@code nc localhost 3130}. Socket
 * activation: {@code systemd-socket-activate -l 3130 ./run echo --inherited} listens on 3130 and
 * starts the server on the first connection, which serves the socket systemd passed it.
 */
final class Echo {
  static final Options.Spec OPTIONS =
      Options.usage(
              "echo [--host H] [--port N | --inherited] [--concurrency sequential|platform|virtual|pool:N|processes:N]"
                  + " [--limit N] [--idle-timeout S] [--read-timeout S] [--no-greeting]"
                  + " [--proxy-protocol --trusted CIDR[,CIDR...]] [--reuse-port]"
                  + " [--agent-check PORT [--drain-grace S]] [--pollers N] [--listeners N]")
          .listen(3130)
          .option("concurrency", "virtual", Echo::concurrency)
          .describe("where each connection runs: sequential (one at a time), platform or virtual threads,"
              + " a pool of N threads, or N worker processes sharing the port")
          .count("limit")
          .describe("serve at most N connections at once, the others wait in the kernel's backlog (default: no limit)")
          .timeouts("60s", "30s")
          .flag("inherited")
          .describe("serve the listening socket systemd or inetd passed this process instead of binding --host/--port")
          .flag("no-greeting")
          .describe("echo at once, without the greeting or the \"Got connection\" line")
          .flag("proxy-protocol")
          .describe("read a PROXY protocol v1/v2 header first (behind HAProxy): the client is then the original one")
          .text("trusted", "127.0.0.1/32,::1/128")
          .describe("the proxies --proxy-protocol lets connect, as CIDRs; anyone else is refused."
              + " The default trusts loopback only")
          .flag("reuse-port")
          .describe("bind with SO_REUSEPORT, so a second server on the same port (a hot restart) can"
              + " start before this one drains and stops")
          .count("agent-check")
          .describe("answer HAProxy's agent check on this port: up, then drain from SIGTERM on, while the"
              + " server keeps accepting for --drain-grace before it stops (default: no agent)")
          .seconds("drain-grace", "2")
          .describe("with --agent-check: how long the server keeps accepting after the agent says drain")
          .count("pollers")
          .describe("how many pollers read the connections, the cores the server uses"
              + " (default: one per available processor)")
          .count("listeners")
          .describe("listen on N SO_REUSEPORT sockets, each with its own accepting thread, for high"
              + " connection rates (default: 1)");

  /** Python's {@code time.ctime()}, in local time: {@code Mon Apr  2 02:44:17 2012}. */
  private static final DateTimeFormatter CTIME =
      DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US);

  private Echo() {}

  static void main(String[] args) throws Exception {
    Options options = OPTIONS.parse(args);
    Serving.untilSignalled(() -> server(options, System.out));
  }

  /**
   * Builds the server (bound and listening, not yet serving), then prints the seed's
   * {@code server is running ....} on {@code out}, where it listens and its timeouts (see
   * {@link Serving#announce}); each connection prints {@code Got connection from <client>} there
   * unless {@code --no-greeting} is given.
   */
  static Server server(Options options, PrintStream out) throws IOException {
    Concurrency policy = options.get("concurrency", Concurrency.class);
    OptionalInt limit = options.optionalInt("limit");
    if (limit.isPresent()) {
      policy = limited(policy, limit.getAsInt()); // at most N clients served at once; the rest wait
    }
    RequestHandler<Connection> handler =
        options.flag("no-greeting")
            ? Echo::echo
            : connection -> {
              greet(connection, out);
              echo(connection);
            };
    var builder = Serving.timeouts(Serving.tcp(options), options).concurrency(policy).handler(handler);
    if (options.flag("inherited")) {
      // Socket activation: systemd's socket (descriptor 3) or inetd's (descriptor 0), not --port.
      builder.inheritedChannel();
    }
    if (options.flag("reuse-port")) {
      // Hot restart: the new process binds the same port while this one drains.
      builder.reusePort(true);
    }
    if (options.flag("proxy-protocol")) {
      // Behind HAProxy (send-proxy or send-proxy-v2): remoteAddress() is then the real client.
      // Only the trusted proxies may connect; anyone else could forge the header.
      builder.proxyProtocol(ProxyProtocol.trusting(options.string("trusted").split(",")));
    }
    // The pollers bound how many cores a busy server uses; by default one per core it may run on.
    options.optionalInt("pollers").ifPresent(builder::pollers);
    options.optionalInt("listeners").ifPresent(builder::listeners);
    OptionalInt agentPort = options.optionalInt("agent-check");
    if (agentPort.isPresent()) {
      // Behind HAProxy: "agent-check agent-port PORT agent-inter 500ms" on the server line.
      builder.agentCheck(agentPort.getAsInt()).drainGrace(options.duration("drain-grace"));
    }
    TcpServer server = builder.build();
    if (Concurrency.worker().isEmpty()) { // with processes:N, only the supervisor announces it
      out.println("server is running ....");
    }
    Serving.announce("echo", server, out, Serving.timeoutsSetting(options));
    server.agentCheckAddress().ifPresent(a -> out.println(
        "echo: agent check on " + Serving.address(a) + ", drain grace " + options.duration("drain-grace").toMillis() + " ms"));
    return server;
  }

  private static void greet(Connection connection, PrintStream out) throws IOException {
    out.println("Got connection from " + Serving.address(connection.remoteAddress()));
    String greeting =
        "Connection " + Serving.address(connection.localAddress()) + " at " + ctime(ZonedDateTime.now(ZoneId.systemDefault()))
            + " succeed!\r\n";
    connection.output().write(greeting.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Sends back every byte until the client closes. The output is flushed whenever the handler
   * would wait for more input, so each echo leaves at once without a flush per chunk here.
   */
  private static void echo(Connection connection) throws IOException {
    connection.input().transferTo(connection.output());
  }

  /** Formats {@code time} like Python's {@code time.ctime()}: {@code Mon Apr  2 02:44:17 2012}. */
  static String ctime(TemporalAccessor time) {
    return CTIME.format(time);
  }

  /** Returns {@code policy} serving at most {@code n} clients at once (in each worker, for processes). */
  static Concurrency limited(Concurrency policy, int n) {
    return switch (policy) {
      case Concurrency.Processes p ->
          Concurrency.processes(p.workers(), limitedHere(p.perWorker(), n)).heartbeatTimeout(p.heartbeatTimeout());
      case Concurrency.InProcess p -> limitedHere(p, n);
    };
  }

  private static Concurrency.InProcess limitedHere(Concurrency.InProcess policy, int n) {
    return switch (policy) {
      case Concurrency.Sequential s -> s; // one client at a time already
      case Concurrency.PlatformThreads p -> p.limit(n);
      case Concurrency.VirtualThreads v -> v.limit(n);
      case Concurrency.Pool p -> p.limit(n);
      case Concurrency.OnExecutor e -> e.limit(n);
    };
  }

  /**
   * Parses {@code --concurrency}: {@code sequential} (Python's TCPServer), {@code platform}
   * (ThreadingMixIn), {@code virtual}, {@code pool:N} or {@code processes:N} (ForkingMixIn: N
   * worker processes, each this same program; {@code ps} shows them).
   *
   * @throws IllegalArgumentException if {@code text} is none of these
   */
  static Concurrency concurrency(String text) {
    return switch (text) {
      case "sequential" -> Concurrency.sequential();
      case "platform" -> Concurrency.platformThreads();
      case "virtual" -> Concurrency.virtualThreads();
      default -> {
        if (text.startsWith("pool:")) {
          yield Concurrency.pool(Options.parseInt(text.substring(5), 1, 10_000));
        }
        if (text.startsWith("processes:")) {
          yield Concurrency.processes(Options.parseInt(text.substring(10), 1, 1024));
        }
        throw new IllegalArgumentException(
            "expected sequential, platform, virtual, pool:N or processes:N, not '" + text + "'");
      }
    };
  }
}
