package dev.socketserver.bench;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Connection;
import dev.socketserver.api.Framing;
import dev.socketserver.api.Handlers;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.Server;
import dev.socketserver.tcp.TcpServer;
import dev.socketserver.udp.UdpServer;
import dev.socketserver.unix.UnixStreamServer;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Our UDP and Unix stream echo servers for the harness, where the examples do more than echo
 * (udp-echo prints a line per datagram), and a TCP echo of fixed-size messages through
 * {@link Handlers#framed}, whose idle connections hold no thread, or through {@link
 * Handlers#nonBlocking}, whose replies are computed on the poller's thread, or through {@link
 * Handlers#nonBlockingSlices}, which lends the handler its frames:
 * {@code OursServers udp PORT|unix PATH|framed:SIZE|nonblocking:SIZE|slices:SIZE|chunks:SIZE PORT virtual|platform}. The UDP and Unix
 * handlers are the examples' own: {@code d.reply(d.payload())} and
 * {@code c.input().transferTo(c.output())}. Serves until killed. {@code -Dbench.pollers=N}: the UDP
 * server receives on N SO_REUSEPORT sockets (default 1).
 */
public final class OursServers {
  private OursServers() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 3) {
      System.err.println(
          "usage: OursServers udp PORT|unix PATH|framed:SIZE|nonblocking:SIZE|slices:SIZE|chunks:SIZE PORT virtual|platform");
      System.exit(2);
    }
    Concurrency policy = switch (args[2]) {
      case "virtual" -> Concurrency.virtualThreads();
      case "platform" -> Concurrency.platformThreads();
      default -> throw new IllegalArgumentException("concurrency must be virtual or platform: " + args[2]);
    };
    Server server = switch (args[0]) {
      case "udp" -> UdpServer.builder()
          .bind("127.0.0.1", Integer.parseInt(args[1]))
          .pollers(Integer.getInteger("bench.pollers", 1)) // UDP's default is one socket
          .concurrency(policy)
          .handler(d -> d.reply(d.payload()))
          .build();
      case "unix" -> UnixStreamServer.builder()
          .bind(Path.of(args[1]))
          .concurrency(policy)
          .handler((Connection c) -> c.input().transferTo(c.output()))
          .build();
      default -> {
        String[] kindSize = args[0].split(":", 2);
        if (kindSize.length != 2) {
          throw new IllegalArgumentException("transport must be udp, unix, framed:SIZE,"
              + " nonblocking:SIZE, slices:SIZE or chunks:SIZE: " + args[0]);
        }
        Framing messages = Framing.fixedLength(Integer.parseInt(kindSize[1]));
        RequestHandler<Connection> echo = switch (kindSize[0]) {
          case "framed" -> Handlers.framed(messages, message -> message);
          case "nonblocking" -> Handlers.nonBlocking(messages, message -> message);
          case "slices" -> Handlers.nonBlockingSlices(messages, message -> message);
          // A byte-stream echo, as Netty's: each read's bytes (up to 64 KiB) borrowed and
          // written back, whatever SIZE the load sends.
          case "chunks" -> Handlers.nonBlockingSlices(Framing.chunks(64 * 1024), bytes -> bytes);
          default -> throw new IllegalArgumentException("transport must be udp, unix,"
              + " framed:SIZE, nonblocking:SIZE, slices:SIZE or chunks:SIZE: " + args[0]);
        };
        yield TcpServer.builder()
            .bind("127.0.0.1", Integer.parseInt(args[1]))
            .concurrency(policy)
            .handler(echo)
            .build();
      }
    };
    System.out.println("ours " + args[0] + " " + args[2] + " on " + server.localAddress());
    server.serveForever();
  }
}
