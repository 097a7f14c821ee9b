package dev.socketserver.examples;

import dev.socketserver.api.Server;
import dev.socketserver.unix.UnixDatagramServer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * A Unix-domain datagram echo server: replies to each datagram with its own bytes. The socket
 * file ({@code --path}, by default {@code socketserver-dgram-echo.sock} in the temporary
 * directory) is this user's only and removed when the server stops. A client must bind its own
 * socket to a path to get the reply.
 *
 * <p>The JDK has no Unix datagram sockets; this one is made with libc through FFM, so the JVM
 * needs {@code --enable-native-access=dev.socketserver.unix} (the {@code ./run} launcher passes
 * it); without it the server says so and exits.
 *
 * <p>Try it: {@code ./run unix-dgram-echo}, then
 * {@code python3 -c "import socket; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind('/tmp/me.sock'); s.sendto(b'hi', '/tmp/socketserver-dgram-echo.sock'); print(s.recv(99))"}.
 */
final class UnixDatagramEcho {
  static final Options.Spec OPTIONS =
      Options.usage("unix-dgram-echo [--path P]")
          .text("path", Path.of(System.getProperty("java.io.tmpdir"), "socketserver-dgram-echo.sock").toString())
          .describe("the socket file, this user's only, removed when the server stops");

  private UnixDatagramEcho() {}

  static void main(String[] args) throws Exception {
    Options options = OPTIONS.parse(args);
    Serving.untilSignalled(() -> server(options, System.out));
  }

  /** Builds the server on {@code --path} (bound, not yet serving) and says where it listens on {@code out}. */
  static Server server(Options options, PrintStream out) throws IOException {
    Server server = UnixDatagramServer.builder()
        .bind(Path.of(options.string("path")))
        .drainTimeout(Serving.DRAIN)
        .handler(d -> d.reply(d.payload()))
        .build();
    Serving.announce("unix-dgram-echo", server, out);
    return server;
  }
}
