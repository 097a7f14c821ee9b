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
      Options.usage("unix-echo [--path P | --inherited] [--idle-timeout S] [--read-timeout S]")
          .flag("inherited")
          .describe("serve the listening socket systemd or inetd passed this process instead of binding --path")
          .text("path", Path.of(System.getProperty("java.io.tmpdir"), "socketserver-echo.sock").toString())
          .describe("the socket file, readable and writable by this user only, removed when the server stops")
          .timeouts("60s", "30s");

  private UnixEcho() {}

  static void main(String[] args) throws Exception {
    Options options = OPTIONS.parse(args);
    Serving.untilSignalled(() -> server(options, System.out));
  }

  /**
   * Builds the server (bound, not yet serving) on {@code --path}, or with {@code --inherited} on
   * the socket systemd (or inetd) passed this process, and says where it listens on {@code out}.
   */
  static Server server(Options options, PrintStream out) throws IOException {
    UnixStreamServer.Builder builder = UnixStreamServer.builder();
    if (options.flag("inherited")) {
      builder.inheritedChannel();
    } else {
      builder.bind(Path.of(options.string("path")));
    }
    Server server = Serving.timeouts(builder, options)
        .drainTimeout(Serving.DRAIN)
        .handler(c -> c.input().transferTo(c.output()))
        .build();
    Serving.announce("unix-echo", server, out, Serving.timeoutsSetting(options));
    return server;
  }
}
