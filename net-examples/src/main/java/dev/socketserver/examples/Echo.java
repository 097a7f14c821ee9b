package dev.socketserver.examples;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Connection;
import dev.socketserver.api.ProxyProtocol;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.Server;
import java.io.IOException;
import java.io.PrintStream;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
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
 * Try it: {@code ./run echo}, then {@code ./run echo-client} or {@code nc localhost 3130}. Socket
 * activation: {@code systemd-socket-activate -l 3130 ./run echo --inherited} listens on 3130 and
 * starts the server on the first connection, which serves the socket systemd passed it.
 */
final class Echo {
  static final Options.Spec OPTIONS =
      Options.usage(
              "echo [--host H] [--port N | --inherited] [--concurrency sequential|platform|virtual|pool:N|processes:N]"
                  + " [--limit N] [--no-greeting] [--proxy-protocol --trusted CIDR[,CIDR...]]")
          .host("")
          .port(3130)
          .option("concurrency", "virtual", Echo::concurrency)
          .count("limit")
          .flag("inherited")
          .flag("no-greeting")
          .flag("proxy-protocol")
          .text("trusted", "127.0.0.1/32,::1/128");

  /** Python's {@code time.ctime()}, in local time: {@code Mon Apr  2 02:44:17 2012}. */
  private static final DateTimeFormatter CTIME =
      DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US);

  private Echo() {}

  static void main(String[] args) throws Exception {
    Options options = OPTIONS.parse(args);
    Serving.untilSignalled(() -> server(options, System.out));
  }

  /**
   * Builds the server (bound and listening, not yet serving), then prints
   * {@code server is running ....} on {@code out}; each connection prints
   * {@code Got connection from <client>} there unless {@code --no-greeting} is given.
   */
  static Server server(Options options, PrintStream out) throws IOException {
    Concurrency policy = options.get("concurrency", Concurrency.class);
    OptionalInt limit = options.optionalInt("limit");
    if (limit.isPresent()) {
      policy = policy.limit(limit.getAsInt()); // at most N clients served at once; the rest wait
    }
    RequestHandler<Connection> handler =
        options.flag("no-greeting")
            ? Echo::echo
            : connection -> {
              greet(connection, out);
              echo(connection);
            };
    var builder = Serving.tcp(options).concurrency(policy).handler(handler);
    if (options.flag("inherited")) {
      // Socket activation: systemd's socket (descriptor 3) or inetd's (descriptor 0), not --port.
      builder.inheritedChannel();
    }
    if (options.flag("proxy-protocol")) {
      // Behind HAProxy (send-proxy or send-proxy-v2): remoteAddress() is then the real client.
      // Only the trusted proxies may connect; anyone else could forge the header.
      builder.proxyProtocol(ProxyProtocol.trusting(options.string("trusted").split(",")));
    }
    Server server = builder.build();
    if (Concurrency.worker().isEmpty()) { // with processes:N, only the supervisor announces it
      out.println("server is running ....");
    }
    return server;
  }

  private static void greet(Connection connection, PrintStream out) throws IOException {
    out.println("Got connection from " + hostPort(connection.remoteAddress()));
    String greeting =
        "Connection " + hostPort(connection.localAddress()) + " at " + ctime(ZonedDateTime.now(ZoneId.systemDefault()))
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

  /** Formats an address as {@code 127.0.0.1:3130}, or {@code [::1]:3130} for IPv6. */
  static String hostPort(SocketAddress address) {
    if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
      String host = inet.getAddress().getHostAddress();
      return (inet.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + inet.getPort();
    }
    return address.toString();
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
