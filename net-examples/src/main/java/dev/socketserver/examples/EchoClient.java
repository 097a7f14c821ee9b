package dev.socketserver.examples;

import dev.socketserver.api.Connection;
import dev.socketserver.tcp.TcpClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The seed's interactive echo client: prints the server's greeting, then sends each line typed
 * (with {@code \r\n}) and prints the echo; an empty line, {@code exit} or end of input quits.
 *
 * <pre>{@code
 * client.connect(('localhost', 3130))
 * while True:
 *     data = raw_input()
 *     if not data or data == 'exit': break
 *     client.send('%s\r\n' % data)
 *     data = client.recv(1024)
 *     if not data: break
 *     print data.strip()
 * client.close()
 * }</pre>
 *
 * Unlike the seed, it reads line by line, so each echo is printed after the line that caused it.
 */
final class EchoClient {
  static final Options.Spec OPTIONS =
      Options.usage("echo-client [--host H] [--port N]").host("localhost").port(3130);

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final int MAX_LINE = 64 * 1024;

  private EchoClient() {}

  static void main(String[] args) throws Exception {
    Options options = OPTIONS.parse(args);
    System.err.println("Type a line to send it; an empty line or exit quits.");
    run(options, System.in, System.out);
  }

  /** Runs the session: lines come from {@code in}, the greeting and the echoes go to {@code out}. */
  static void run(Options options, InputStream in, PrintStream out) throws IOException {
    BufferedReader typed = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    try (Connection connection =
        TcpClient.connect(options.string("host"), options.integer("port"), CONNECT_TIMEOUT)) {
      if (!printReply(connection, out)) { // the greeting
        return;
      }
      String line;
      while ((line = typed.readLine()) != null && !line.isEmpty() && !line.equals("exit")) {
        connection.output().write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        connection.output().flush();
        if (!printReply(connection, out)) {
          return;
        }
      }
    }
  }

  /** Reads one line and prints it stripped; false if the server closed the connection instead. */
  private static boolean printReply(Connection connection, PrintStream out) throws IOException {
    @Nullable String reply = connection.readLine(MAX_LINE);
    if (reply == null) {
      out.println("(the server closed the connection)");
      return false;
    }
    out.println(reply.strip());
    return true;
  }
}
