package dev.socketserver.examples;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Connection;
import dev.socketserver.api.Server;
import java.io.IOException;
import java.io.PrintStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The seed's server.py: a TCP server on port 8001 that serves one client at a time, waits up to
 * 5 seconds for it to send something, and answers {@code Welcome to server!} if it sent exactly
 * {@code 1}, {@code Please go out!} otherwise. A client that sends nothing in time gets no
 * answer: the server prints {@code Time out} and closes the connection.
 *
 * <pre>{@code
 * connection.settimeout(5)
 * buf = connection.recv(1024)
 * if buf == '1': connection.send('Welcome to server!')
 * else: connection.send('Please go out!')
 * ...
 * except socket.timeout: print 'Time out'
 * }</pre>
 *
 * Try it: {@code ./run welcome}, then {@code ./run welcome-client} (or {@code printf 1 | nc
 * localhost 8001}; {@code echo 1} would send {@code "1\n"}, which is not {@code 1}).
 */
final class Welcome {
  static final Options.Spec OPTIONS =
      Options.usage("welcome [--host H] [--port N] [--timeout SECONDS]")
          .listen(8001)
          .seconds("timeout", "5")
          .describe("how long to wait for the client's message, then print Time out and close; 0: for ever");

  private Welcome() {}

  static void main(String[] args) throws Exception {
    Options options = OPTIONS.parse(args);
    Serving.untilSignalled(() -> server(options, System.out));
  }

  /**
   * Builds the server (bound and listening, not yet serving); {@code --timeout 0} waits for ever.
   * It prints {@code Time out} on {@code out} for each client that sent nothing in time.
   */
  static Server server(Options options, PrintStream out) throws IOException {
    Duration timeout = options.duration("timeout");
    Server server =
        Serving.tcp(options)
            .concurrency(Concurrency.sequential()) // like server.py's accept loop: one client at a time
            .readTimeout(timeout) // connection.settimeout(5)
            .handler(connection -> handle(connection, out))
            .build();
    Serving.announce("welcome", server, out, "read timeout " + Serving.seconds(timeout));
    return server;
  }

  private static void handle(Connection connection, PrintStream out) throws IOException {
    byte[] buf = new byte[1024];
    int n;
    try {
      n = connection.input().read(buf); // recv(1024): whatever arrived first, up to 1024 bytes
    } catch (SocketTimeoutException e) {
      out.println("Time out");
      return; // no reply: the server closes the connection
    }
    String received = n < 0 ? "" : new String(buf, 0, n, StandardCharsets.UTF_8);
    String reply = received.equals("1") ? "Welcome to server!" : "Please go out!";
    connection.output().write(reply.getBytes(StandardCharsets.UTF_8));
  }
}
