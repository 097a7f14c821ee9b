package dev.socketserver.tcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Connection;
import dev.socketserver.api.ProxyProtocol;
import dev.socketserver.api.Server;
import dev.socketserver.api.ServerMetrics;
import dev.socketserver.api.TlsOptions;
import dev.socketserver.api.testing.Await;
import dev.socketserver.api.testing.TestCertificates;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A load balancer's TCP health check (connect, then close or reset, sending nothing but perhaps a
 * PROXY header) is a probe, not an error: counted in {@code probes}, never given to the error
 * handler (whose default logs a WARN), whatever the server's layers make of it.
 */
@Timeout(60)
class HealthCheckTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final byte[] PROXY_V1_HEADER =
      "PROXY TCP4 203.0.113.9 127.0.0.1 4444 80\r\n".getBytes(UTF_8);
  private final Queue<Throwable> errors = new ConcurrentLinkedQueue<>();

  private TcpServer.Builder echo() {
    return TcpServer.builder()
        .bind("127.0.0.1", 0)
        .errorHandler((c, e) -> errors.add(e))
        .handler(c -> c.input().transferTo(c.output()));
  }

  /** Connects, sends {@code bytes}, and closes, abortively (a reset) if {@code reset}. */
  private static void check(Server server, byte[] bytes, boolean reset) throws IOException {
    try (Socket s = new Socket()) {
      s.connect((InetSocketAddress) server.localAddress(), 5000);
      if (bytes.length > 0) {
        OutputStream out = s.getOutputStream();
        out.write(bytes);
        out.flush();
      }
      if (reset) {
        s.setSoLinger(true, 0);
      }
    }
  }

  private static void awaitEnded(Server server, long requests) {
    Await.until(requests + " requests ended", WAIT, () -> {
      ServerMetrics m = server.metrics();
      return m.completed() + m.failed() + m.rejected() == requests;
    });
  }

  @Test
  void connectAndCloseOrResetIsAProbeAndNoError() throws Exception {
    try (TcpServer server = echo().build().start()) {
      check(server, new byte[0], false);
      check(server, new byte[0], true);
      awaitEnded(server, 2);
      assertEquals(2, server.metrics().probes());
      assertEquals(List.of(), List.copyOf(errors));
    }
  }

  @Test
  void aClientThatSentBytesIsNoProbe() throws Exception {
    try (TcpServer server = echo().build().start()) {
      try (Socket s = new Socket()) {
        s.connect(server.localAddress(), 5000);
        s.getOutputStream().write("hello\n".getBytes(UTF_8));
        InputStream in = s.getInputStream();
        assertEquals('h', in.read()); // echoed: the server has read it
        s.setSoLinger(true, 0);
      }
      awaitEnded(server, 1);
      assertEquals(0, server.metrics().probes());
    }
  }

  @Test
  void behindAProxyNoHeaderOrAHeaderAloneIsAProbe() throws Exception {
    try (TcpServer server = echo().proxyProtocol(ProxyProtocol.trusting("127.0.0.1/32")).build().start()) {
      check(server, new byte[0], false); // HAProxy's plain TCP check: no header at all
      check(server, PROXY_V1_HEADER, false); // a check that sends the header and leaves
      check(server, PROXY_V1_HEADER, true);
      awaitEnded(server, 3);
      assertEquals(3, server.metrics().probes());
      assertEquals(List.of(), List.copyOf(errors));
      try (Connection c = TcpClient.connect(server.localAddress(), WAIT)) { // a real client is served
        c.output().write(PROXY_V1_HEADER);
        c.output().write("real\n".getBytes(UTF_8));
        c.output().flush();
        assertEquals("real", c.readLine(100));
      }
      awaitEnded(server, 4);
      assertEquals(3, server.metrics().probes());
    }
  }

  @Test
  void aTcpCheckOfATlsServerIsAProbe() throws Exception {
    TlsOptions tls = TlsOptions.of(TestCertificates.get().serverContext());
    try (TcpServer server = echo().tls(tls).build().start()) {
      check(server, new byte[0], false);
      check(server, new byte[0], true);
      awaitEnded(server, 2);
      assertEquals(2, server.metrics().probes());
      assertEquals(2, server.metrics().rejected(), "a TLS connection that never shook hands");
      assertTrue(errors.isEmpty(), errors::toString);
    }
  }
}
