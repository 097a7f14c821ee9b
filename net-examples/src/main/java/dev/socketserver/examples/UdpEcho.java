package dev.socketserver.examples;

import dev.socketserver.udp.UdpServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;

/**
 * A UDP echo server on port 3130: sends each datagram back to its sender, whole (up to the UDP
 * maximum of 65 507 bytes), and prints one line per datagram. Python's {@code UDPServer} with a
 * {@code DatagramRequestHandler}, without its 8192-byte cut.
 *
 * <p>It binds {@code localhost} unless {@code --host} says otherwise: an open UDP echo port on a
 * public address reflects anyone's traffic at anyone. Stops on Ctrl-C.
 *
 * <p>Try it: {@code ./run udp-echo}, then {@code ./run udp-client}, or
 * {@code nc -u localhost 3130}.
 */
public final class UdpEcho {
  private UdpEcho() {}

  /** Runs the server: {@code [--host H] [--port N]}, by default localhost and 3130. */
  public static void main(String[] args) throws IOException {
    UdpServer server = server(UdpExampleArgs.address(args, "udp-echo"), System.out);
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "udp-echo shutdown"));
    server.serveForever();
    server.close();
  }

  /** Builds the server on {@code address} (bound, not yet serving); it logs to {@code out}. */
  static UdpServer server(InetSocketAddress address, PrintStream out) throws IOException {
    UdpServer server =
        UdpServer.builder()
            .bind(address)
            .handler(d -> {
              out.println("Got " + d.length() + " bytes from " + d.sender());
              d.reply(d.payload());
            })
            .build();
    out.println("UDP echo server on " + server.localAddress());
    return server;
  }
}
