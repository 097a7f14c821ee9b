package dev.socketserver.examples;

import dev.socketserver.api.Datagram;
import dev.socketserver.udp.UdpClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The client of {@link UdpEcho}: sends each line read from standard input as one datagram to the
 * server (localhost 3130 by default) and prints the reply, or a message when none came within two
 * seconds: UDP may lose either datagram, and a server that is not running does not say so.
 *
 * <p>Try it: {@code ./run udp-echo} in one terminal, {@code ./run udp-client} in another.
 */
public final class UdpClientExample {
  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  private UdpClientExample() {}

  /** Runs the client: {@code [--host H] [--port N]}, by default localhost and 3130. */
  public static void main(String[] args) throws IOException {
    InetSocketAddress server = UdpExampleArgs.address(args, "udp-client");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    run(in, System.out, server, TIMEOUT);
  }

  /** Sends each line of {@code in} to {@code server} and prints what came back on {@code out}. */
  static void run(BufferedReader in, PrintStream out, InetSocketAddress server, Duration timeout)
      throws IOException {
    try (UdpClient client = UdpClient.open()) {
      for (String line; (line = in.readLine()) != null; ) {
        try {
          Datagram reply = client.request(server, line.getBytes(StandardCharsets.UTF_8), timeout);
          out.println(new String(reply.bytes(), StandardCharsets.UTF_8));
        } catch (SocketTimeoutException e) {
          out.println("(no reply from " + server + " within " + timeout.toMillis()
              + " ms: the datagram or its reply was lost, or no server is running)");
        }
      }
    }
  }
}
