package dev.socketserver.examples;

import dev.socketserver.api.Connection;
import dev.socketserver.tcp.TcpClient;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The seed's client.py: connects to the welcome server, waits 2 seconds, sends {@code 1} and
 * prints the reply. With {@code --delay} longer than the server's timeout (5 s) the server gives
 * up first and there is no reply; with another {@code --message} the reply is
 * {@code Please go out!}.
 *
 * <pre>{@code
 * sock.connect(('localhost', 8001))
 * time.sleep(2)
 * sock.send('1')
 * print sock.recv(1024)
 * sock.close()
 * }</pre>
 */
final class WelcomeClient {
  static final Options.Spec OPTIONS =
      Options.usage("welcome-client [--host H] [--port N] [--delay SECONDS] [--message TEXT]")
          .host("localhost")
          .port(8001)
          .seconds("delay", "2")
          .describe("how long to wait after connecting before sending, as the seed's client sleeps")
          .text("message", "1")
          .describe("what to send: \"1\" is welcomed, anything else is not");

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private WelcomeClient() {}

  static void main(String[] args) throws Exception {
    run(OPTIONS.parse(args), System.out);
  }

  /** Connects, waits, sends the message and prints the reply (or why there is none) on {@code out}. */
  static void run(Options options, PrintStream out) throws IOException, InterruptedException {
    Duration delay = options.duration("delay");
    try (Connection connection =
        TcpClient.connect(options.string("host"), options.integer("port"), CONNECT_TIMEOUT)) {
      Thread.sleep(delay); // time.sleep(2)
      String reply;
      try {
        connection.output().write(options.string("message").getBytes(StandardCharsets.UTF_8));
        connection.output().flush();
        // The server closes after its reply, so reading to the end gets all of it (recv may not).
        reply = new String(connection.input().readNBytes(1024), StandardCharsets.UTF_8);
      } catch (IOException e) {
        // A server that timed out has closed: our late message may be refused with a reset.
        reply = "";
      }
      if (reply.isEmpty()) {
        out.println(
            "No reply: the server closed the connection (it stops waiting after its read timeout,"
                + " 5 s by default; we waited " + delay.toMillis() / 1000.0 + " s before sending)");
      } else {
        out.println(reply);
      }
    }
  }
}
