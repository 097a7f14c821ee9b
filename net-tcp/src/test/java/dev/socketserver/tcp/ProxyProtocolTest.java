package dev.socketserver.tcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.socketserver.api.Connection;
import dev.socketserver.api.ProxyHeader;
import dev.socketserver.api.ProxyProtocol;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.testing.Await;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * PROXY protocol behind a real HAProxy (v1 and v2), and the security property: only trusted
 * sources may send a header, and they must. HAProxy is required: CI installs it (.ci/run), and
 * without it this test fails rather than skips.
 */
@Timeout(60)
class ProxyProtocolTest {
  private static final AtomicInteger HANDLED = new AtomicInteger();

  /** Replies with what the server saw: the client, the proxy, the version, the TLV types. */
  private static final RequestHandler<Connection> SEEN = c -> {
    HANDLED.incrementAndGet();
    ProxyHeader h = c.proxy().orElseThrow();
    StringBuilder tlvs = new StringBuilder();
    for (ProxyHeader.Tlv t : h.tlvs()) {
      tlvs.append(tlvs.isEmpty() ? "" : ",").append(t.type());
    }
    c.output().write((c.remoteAddress() + " " + h.proxy() + " v" + h.version() + " [" + tlvs + "] "
        + c.readLine(100) + "\n").getBytes(UTF_8));
  };

  static TcpServer server;
  static Process haproxy;
  static int v1Port;
  static int v2Port;

  @BeforeAll
  static void startServerAndHaproxy(@TempDir Path dir) throws Exception {
    Path binary = Path.of("/usr/sbin/haproxy");
    if (!Files.isExecutable(binary)) {
      fail("haproxy is not installed: apt-get install haproxy (.ci/run does it) - this test needs a real HAProxy");
    }
    server = TcpServer.builder().bind("127.0.0.1", 0)
        .proxyProtocol(ProxyProtocol.trusting("127.0.0.1/32", "::1"))
        .handler(SEEN).build().start();
    int ours = server.localAddress().getPort();
    v1Port = freePort();
    v2Port = freePort();
    Path config = dir.resolve("haproxy.cfg");
    Files.writeString(config, String.join("\n",
        "global",
        "  maxconn 64",
        "defaults",
        "  mode tcp",
        "  timeout connect 5s",
        "  timeout client 30s",
        "  timeout server 30s",
        "frontend v1",
        "  bind 127.0.0.1:" + v1Port,
        "  default_backend ours_v1",
        "frontend v2",
        "  bind 127.0.0.1:" + v2Port,
        "  unique-id-format %{+X}o%ci-%cp",
        "  default_backend ours_v2",
        "backend ours_v1",
        "  server s 127.0.0.1:" + ours + " send-proxy",
        "backend ours_v2",
        "  server s 127.0.0.1:" + ours + " send-proxy-v2 proxy-v2-options unique-id,crc32c",
        ""));
    haproxy = new ProcessBuilder(binary.toString(), "-db", "-f", config.toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("haproxy.log").toFile())
        .start();
    for (int port : new int[] {v1Port, v2Port}) {
      Await.until("haproxy listens on " + port, Duration.ofSeconds(20), () -> {
        if (!haproxy.isAlive()) {
          throw new AssertionError("haproxy exited: " + read(dir.resolve("haproxy.log")));
        }
        try (Socket _ = new Socket(InetAddress.getLoopbackAddress(), port)) {
          return true;
        } catch (IOException notYet) {
          return false;
        }
      });
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (haproxy != null) {
      haproxy.destroy();
      if (!haproxy.waitFor(10, TimeUnit.SECONDS)) {
        haproxy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    if (server != null) {
      server.close();
    }
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return e.toString();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static String[] viaHaproxy(int port) throws IOException {
    try (Connection c = TcpClient.connect("127.0.0.1", port, Duration.ofSeconds(5))) {
      c.output().write("hello\n".getBytes(UTF_8));
      String reply = c.readLine(1000);
      assertTrue(reply != null, "no reply through haproxy");
      String[] seen = reply.split(" ");
      assertEquals(c.localAddress().toString(), seen[0], "the handler sees the original client");
      assertNotEquals(seen[0], seen[1], "the proxy's own address stays available");
      assertEquals("hello", seen[4]);
      return seen;
    }
  }

  @Test
  void behindHaproxyWithSendProxyTheHandlerSeesTheOriginalClient() throws Exception {
    assertEquals("v1", viaHaproxy(v1Port)[2]);
  }

  @Test
  void behindHaproxyWithSendProxyV2TheHandlerSeesTheOriginalClientAndTlvs() throws Exception {
    String[] seen = viaHaproxy(v2Port);
    assertEquals("v2", seen[2]);
    assertTrue(seen[3].contains("3") && seen[3].contains("5"), "CRC32C and unique-id TLVs: " + seen[3]);
  }

  @Test
  void aForgedHeaderFromAnUntrustedSourceIsRejected() throws Exception {
    try (TcpServer strict = TcpServer.builder().bind("127.0.0.1", 0)
        .proxyProtocol(ProxyProtocol.trusting("10.0.0.0/8"))
        .handler(SEEN).build().start()) {
      int handled = HANDLED.get();
      try (Connection c = TcpClient.connect(strict.localAddress(), Duration.ofSeconds(5))) {
        c.output().write("PROXY TCP4 203.0.113.9 127.0.0.1 4444 80\r\nhello\n".getBytes(UTF_8));
        c.output().flush();
        assertEquals(-1, c.input().read());
      } catch (IOException reset) {
        // closed with our bytes unread: a reset is as good as end of stream
      }
      Await.until("rejected", Duration.ofSeconds(10), () -> strict.metrics().rejected() == 1);
      assertEquals(handled, HANDLED.get());
    }
  }

  @Test
  void aTrustedSourceWithoutAHeaderIsRejected() throws Exception {
    int handled = HANDLED.get();
    long rejected = server.metrics().rejected();
    try (Connection c = TcpClient.connect(server.localAddress(), Duration.ofSeconds(5))) {
      c.output().write("hello\n".getBytes(UTF_8));
      c.output().flush();
      assertEquals(-1, c.input().read());
    } catch (IOException reset) {
      // as above
    }
    Await.until("rejected", Duration.ofSeconds(10), () -> server.metrics().rejected() == rejected + 1);
    assertEquals(handled, HANDLED.get());
  }
}
