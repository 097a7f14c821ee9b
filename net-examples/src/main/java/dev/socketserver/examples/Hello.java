package dev.socketserver.examples;

import dev.socketserver.api.Connection;
import dev.socketserver.api.Server;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The seed's Listing 2: a TCP server on port 2525 that writes {@code Hello world!\n} to every
 * client and closes the connection.
 *
 * <pre>{@code
 * class HwRequestHandler(socketserver.StreamRequestHandler):
 *     def handle(self):
 *         self.wfile.write("Hello world!\n")
 *
 * server = socketserver.TCPServer(("", 2525), HwRequestHandler)
 * server.serve_forever()
 * }</pre>
 *
 * Try it: {@code ./run hello}, then {@code nc localhost 2525} in another terminal.
 */
final class Hello {
  static final Options.Spec OPTIONS = Options.usage("hello [--host H] [--port N]").listen(2525);

  private Hello() {}

  static void main(String[] args) throws Exception {
    Options options = OPTIONS.parse(args);
    Serving.untilSignalled(() -> server(options, System.out));
  }

  /** Builds the server (bound and listening, not yet serving) and says where it listens. */
  static Server server(Options options, PrintStream out) throws IOException {
    // The handler is the whole of HwRequestHandler: a lambda, no base class.
    Server server = Serving.tcp(options).handler(Hello::handle).build();
    Serving.announce("hello", server, out);
    return server;
  }

  private static void handle(Connection connection) throws IOException {
    connection.output().write("Hello world!\n".getBytes(StandardCharsets.US_ASCII));
    // No flush or close here: the server flushes and closes the connection when the handler returns.
  }
}
