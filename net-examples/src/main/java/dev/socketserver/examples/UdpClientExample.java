package dev.socketserver.examples;

import dev.socketserver.api.Datagram;
import dev.socketserver.udp.UdpClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The client of {@link UdpEcho}: sends each line read from standard input as one datagram (without
 * its line end) and prints the reply, or a message when none came within {@code --timeout}
 * seconds (2 by default): UDP may lose either datagram, and a server that is not running does not
 * say so.
 *
 * <p>Try it: {@code ./run udp-echo} in one terminal, {@code ./run udp-client} in another.
 */
public final class UdpClientExample {
  static final Options.Spec OPTIONS =
      Options.usage("udp-client [--host H] [--port N] [--timeout S]")
          .host("localhost")
          .port(3130)
          .seconds("timeout", "2")
          .describe("how long to wait for each reply");

  private UdpClientExample() {}

  /** Runs until end of input; see {@link #OPTIONS} for the arguments. */
  public static void main(String[] args) throws Exception {
    Options options = OPTIONS.parse(args);
    System.err.println("Type a line to send it as a datagram; end of input (Ctrl-D) quits.");
    run(options, System.in, System.out);
  }

  /** Sends each line of {@code in} to the server and prints the reply, or a timeout, on {@code out}. */
  static void run(Options options, InputStream in, PrintStream out) throws IOException {
    InetSocketAddress server = new InetSocketAddress(options.string("host"), options.integer("port"));
    Duration timeout = options.duration("timeout");
    BufferedReader typed = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    try (UdpClient client = UdpClient.open()) {
      for (String line; (line = typed.readLine()) != null; ) {
        try {
          Datagram reply = client.request(server, line.getBytes(StandardCharsets.UTF_8), timeout);
          out.println(new String(reply.bytes(), StandardCharsets.UTF_8));
        } catch (SocketTimeoutException e) {
          out.println("(no reply from " + Serving.address(server) + " within " + timeout.toMillis()
              + " ms: the datagram or its reply was lost, or no server is running)");
        }
      }
    }
  }
}
