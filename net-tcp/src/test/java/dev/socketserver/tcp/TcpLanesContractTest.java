package dev.socketserver.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.socketserver.api.StreamServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The stream-server contract again, over three SO_REUSEPORT listeners (listeners(3)), each
 * accepted from by a lane thread of its own: lifecycle, limit, drain and the backlog sweep must
 * hold as with one listener.
 */
class TcpLanesContractTest extends TcpServerContractTest {
  private static final int LISTENERS = 3;

  @Override
  protected StreamServerBuilder<?> newBuilder() {
    return ((TcpServer.Builder) super.newBuilder()).listeners(LISTENERS);
  }

  @Override
  protected StreamServerBuilder<?> newBuilder(SocketAddress address) {
    return ((TcpServer.Builder) super.newBuilder(address)).listeners(LISTENERS);
  }

  @Test
  @Timeout(30)
  void everyListenerOfTheGroupServesItsShareOfManyClients() throws Exception {
    try (TcpServer server = TcpServer.builder().bind("127.0.0.1", 0).listeners(LISTENERS)
        .handler(c -> c.input().transferTo(c.output())).build().start()) {
      assertEquals(LISTENERS, listenersOn(server.localAddress().getPort()));
      for (int i = 0; i < 30; i++) { // client ports differ: the kernel spreads them over the listeners
        try (var client = TcpClient.connect(server.localAddress(), Duration.ofSeconds(10))) {
          client.output().write(("hello " + i + "\n").getBytes(StandardCharsets.UTF_8));
          client.output().flush();
          assertEquals("hello " + i, client.readLine(100));
        }
      }
      assertEquals(30, server.metrics().accepted());
    }
  }

  /** The TCP sockets listening on {@code port} on this machine, from Linux's table. */
  private static long listenersOn(int port) throws IOException {
    String local = String.format(Locale.ROOT, ":%04X", port);
    try (var lines = Files.lines(Path.of("/proc/net/tcp"))) {
      return lines.skip(1).map(l -> l.trim().split("\\s+"))
          .filter(f -> f[1].endsWith(local) && f[3].equals("0A")) // 0A: LISTEN
          .count();
    }
  }
}
