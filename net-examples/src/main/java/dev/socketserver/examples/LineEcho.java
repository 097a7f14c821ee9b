package dev.socketserver.examples;

import dev.socketserver.api.Connection;
import dev.socketserver.api.FrameTooLongException;
import dev.socketserver.api.Server;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * A line protocol on TCP port 3131: echoes each line (LF or CRLF; answered with LF). A line longer
 * than {@code --max} bytes gets an error line naming the limit, and the connection is closed:
 * the rest of that line is never read into memory.
 *
 * Try it: {@code ./run line-echo --max 16}, then {@code nc localhost 3131} and type a long line.
 */
final class LineEcho {
  static final Options.Spec OPTIONS =
      Options.usage("line-echo [--host H] [--port N] [--max BYTES] [--idle-timeout S] [--read-timeout S]")
          .listen(3131)
          .option("max", "8192", t -> Options.parseInt(t, 0, 1 << 24))
          .describe("the longest line echoed, in bytes; a longer one gets an error and the connection is closed")
          .timeouts("60s", "30s");

  private LineEcho() {}

  static void main(String[] args) throws Exception {
    Options options = OPTIONS.parse(args);
    Serving.untilSignalled(() -> server(options, System.out));
  }

  /** Builds the server (bound and listening, not yet serving) and says where it listens. */
  static Server server(Options options, PrintStream out) throws IOException {
    int max = options.get("max", Integer.class);
    Server server = Serving.timeouts(Serving.tcp(options), options).handler(c -> echoLines(c, max)).build();
    Serving.announce("line-echo", server, out, "lines up to " + max + " bytes", Serving.timeoutsSetting(options));
    return server;
  }

  private static void echoLines(Connection connection, int max) throws IOException {
    try {
      for (String line; (line = connection.readLine(max)) != null; ) {
        connection.output().write((line + "\n").getBytes(StandardCharsets.UTF_8));
      }
    } catch (FrameTooLongException e) {
      // Tell the client why, then end the connection: what follows the long line cannot be trusted.
      connection.output().write(("error: " + e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8));
    }
  }
}
