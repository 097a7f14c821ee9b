package dev.socketserver.examples;

import dev.socketserver.api.Server;
import dev.socketserver.unix.UnixStreamServer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * A Unix-domain stream echo server: sends back every byte each client sends, until it closes.
 * The socket file ({@code --path}, by default {@code socketserver-echo.sock} in the temporary
 * directory) is readable and writable by this user only, and removed when the server stops.
 *
 * <p>Try it: {@code ./run unix-echo}, then
 * {@code python3 -c "import socket; s=socket.socket(socket.AF_UNIX); s.connect('/tmp/socketserver-echo.sock'); s.send(b'hi'); print(s.recv(9))"}
 * or {@code nc -U /tmp/socketserver-echo.sock}.
 */
final class UnixEcho {
  static final Options.Spec OPTIONS =
      Options.usage("unix-echo [--path P]")
          .text("path", Path.of(System.getProperty("java.io.tmpdir"), "socketserver-echo.sock").toString());

  private UnixEcho() {}

  static void main(String[] args) throws Exception {
    Options options = OPTIONS.parse(args);
    Serving.untilSignalled(() -> server(Path.of(options.string("path")), System.out));
  }

  /** Builds the server on {@code path} (bound, not yet serving) and says where it listens on {@code out}. */
  static Server server(Path path, PrintStream out) throws IOException {
    Server server = UnixStreamServer.builder()
        .bind(path)
        .drainTimeout(Serving.DRAIN)
        .handler(c -> c.input().transferTo(c.output()))
        .build();
    out.println("unix-echo listening on " + path);
    return server;
  }
}
