package dev.socketserver.examples;

import dev.socketserver.api.Concurrency;
import dev.socketserver.udp.UdpServer;
import java.io.IOException;
import java.io.PrintStream;

/**
 * A UDP echo server on port 3130: sends each datagram back to its sender, whole (up to the UDP
 * maximum of 65 507 bytes), and prints one line per datagram. Python's {@code UDPServer} with a
 * {@code DatagramRequestHandler}, without its silent cut at 8192 bytes.
 *
 * <p>It binds loopback ({@code 127.0.0.1}) unless {@code --host} says otherwise: a UDP echo port
 * on a public address reflects anyone's traffic at anyone whose address is forged as the sender.
 *
 * <p>Try it: {@code ./run udp-echo}, then {@code ./run udp-client} or {@code nc -u 127.0.0.1 3130}.
 * Socket activation ({@code ListenDatagram=}):
 * {@code systemd-socket-activate --datagram -l 127.0.0.1:3130 ./run udp-echo --inherited} (with
 * {@code JDK_JAVA_OPTIONS=-Djava.net.preferIPv4Stack=true} for an IPv4 address: see
 * {@link UdpServer.Builder#inheritedChannel()}).
 */
public final class UdpEcho {
  static final Options.Spec OPTIONS =
      Options.usage("udp-echo [--host H] [--port N | --inherited] [--concurrency sequential|platform|virtual|pool:N|processes:N]")
          .flag("inherited")
          .describe("serve the UDP socket systemd or inetd passed this process instead of binding --host/--port")
          .listen(3130)
          .option("concurrency", "virtual", Echo::concurrency)
          .describe("where each datagram is handled: sequential, platform or virtual threads, a pool of N"
              + " threads, or N worker processes sharing the port");

  private UdpEcho() {}

  /** Serves until Ctrl-C or SIGTERM; see {@link #OPTIONS} for the arguments. */
  public static void main(String[] args) throws Exception {
    Options options = OPTIONS.parse(args);
    Serving.untilSignalled(() -> server(options, System.out));
  }

  /**
   * Builds the server (bound, not yet serving), then prints {@code udp-echo: listening on <address>}
   * on {@code out}; each datagram prints {@code Got <n> bytes from <sender>} there.
   */
  static UdpServer server(Options options, PrintStream out) throws IOException {
    UdpServer.Builder builder = UdpServer.builder();
    if (options.flag("inherited")) {
      builder.inheritedChannel();
    } else {
      builder.bind(options.string("host"), options.integer("port"));
    }
    UdpServer server =
        builder
            .drainTimeout(Serving.DRAIN)
            .concurrency(options.get("concurrency", Concurrency.class))
            .handler(d -> {
              out.println("Got " + d.length() + " bytes from " + Serving.address(d.sender()));
              d.reply(d.payload());
            })
            .build();
    Serving.announce("udp-echo", server, out);
    return server;
  }
}
