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
 * or {@code nc -U /tmp/socketserver-echo.sock}. Socket activation:
 * {@code systemd-socket-activate -l /tmp/echo.sock ./run unix-echo --inherited}.
 */
final class UnixEcho {
  static final Options.Spec OPTIONS =
      Options.usage("unix-echo [--path P | --inherited]")
          .flag("inherited")
          .text("path", Path.of(System.getProperty("java.io.tmpdir"), "socketserver-echo.sock").toString());

  private UnixEcho() {}

  static void main(String[] args) throws Exception {
    Options options = OPTIONS.parse(args);
    if (options.flag("inherited")) {
      Serving.untilSignalled(() -> inherited(System.out));
    } else {
      Serving.untilSignalled(() -> server(Path.of(options.string("path")), System.out));
    }
  }

  /** Builds the server on the socket systemd (or inetd) passed this process, and says where it listens. */
  static Server inherited(PrintStream out) throws IOException {
    return announced(UnixStreamServer.builder().inheritedChannel(), "the inherited socket", out);
  }

  /** Builds the server on {@code path} (bound, not yet serving) and says where it listens on {@code out}. */
  static Server server(Path path, PrintStream out) throws IOException {
    return announced(UnixStreamServer.builder().bind(path), path.toString(), out);
  }

  private static Server announced(UnixStreamServer.Builder builder, String where, PrintStream out)
      throws IOException {
    Server server = builder
        .drainTimeout(Serving.DRAIN)
        .handler(c -> c.input().transferTo(c.output()))
        .build();
    out.println("unix-echo listening on " + where);
    return server;
  }
}
