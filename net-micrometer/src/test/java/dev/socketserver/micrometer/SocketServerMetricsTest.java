package dev.socketserver.micrometer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Connection;
import dev.socketserver.api.ServerMetrics;
import dev.socketserver.api.testing.Await;
import dev.socketserver.tcp.TcpServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The meters of a real TCP server on loopback, read back from a registry and as Prometheus text. */
@Timeout(30)
class SocketServerMetricsTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final AtomicBoolean refuse = new AtomicBoolean();

  /** Echoes one line, or throws for the line "boom"; the filter refuses while {@link #refuse}. */
  private TcpServer echoServer() throws IOException {
    return TcpServer.builder()
        .bind("127.0.0.1", 0)
        .concurrency(Concurrency.virtualThreads())
        .filter(c -> !refuse.get())
        .handler(SocketServerMetricsTest::echoLine)
        .build();
  }

  private static void echoLine(Connection c) throws IOException {
    String line = new BufferedReader(new InputStreamReader(c.input(), UTF_8)).readLine();
    if ("boom".equals(line)) {
      throw new IllegalStateException("handler bug!");
    }
    c.output().write((line + "\n").getBytes(UTF_8));
    c.output().flush();
  }

  /** Sends {@code line} and returns everything the server sent until it closed. */
  private static String exchange(TcpServer server, String line) throws IOException {
    InetSocketAddress a = server.localAddress();
    try (Socket s = new Socket(a.getAddress(), a.getPort())) {
      s.getOutputStream().write((line + "\n").getBytes(UTF_8));
      s.getOutputStream().flush();
      return new String(s.getInputStream().readAllBytes(), UTF_8);
    }
  }

  /** One echoed, one failed and one refused connection, all three closed and counted. */
  private void runThreeConnections(TcpServer server) throws IOException {
    assertEquals("hi\n", exchange(server, "hi"));
    exchange(server, "boom");
    refuse.set(true);
    exchange(server, "refused");
    refuse.set(false);
    Await.until("three connections done", WAIT, () -> {
      ServerMetrics m = server.metrics();
      return m.completed() == 1 && m.failed() == 1 && m.rejected() == 1 && m.active() == 0;
    });
  }

  @Test
  void metersShowConnectionsRequestsAndDurationsWithTheirTags() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (TcpServer server = echoServer()) {
      int port = server.localAddress().getPort();
      SocketServerMetrics.of(server, Tags.of("server", "echo")).bindTo(registry);
      server.start();
      runThreeConnections(server);
      Timer durations = registry.get("socketserver.connection.duration").timer();
      Await.until("three durations recorded", WAIT, () -> durations.count() == 3);

      assertEquals(
          Tags.of("network.transport", "tcp", "network.type", "ipv4", "server.address",
              "127.0.0.1", "server.port", Integer.toString(port), "server", "echo"),
          Tags.of(durations.getId().getTags()));
      assertTrue(durations.totalTime(TimeUnit.NANOSECONDS) > 0,
          "total duration: " + durations.totalTime(TimeUnit.NANOSECONDS));
      Gauge active = registry.get("socketserver.active_connections").tag("server", "echo").gauge();
      assertEquals(0.0, active.value());
      assertEquals(3.0, counter(registry, "socketserver.accepted_connections").count());
      assertEquals(1.0, counter(registry, "socketserver.rejected_connections").count());
      assertEquals(1.0, registry.get("socketserver.requests").tag("outcome", "completed")
          .functionCounter().count());
      assertEquals(1.0, registry.get("socketserver.requests").tag("outcome", "failed")
          .functionCounter().count());
      FunctionCounter received = registry.get("socketserver.io")
          .tag("network.io.direction", "receive").functionCounter();
      FunctionCounter sent = registry.get("socketserver.io")
          .tag("network.io.direction", "transmit").functionCounter();
      // The refused client's line may or may not have been read before its connection closed.
      double least = "hi\nboom\n".length();
      double most = least + "refused\n".length();
      assertTrue(received.count() == least || received.count() == most,
          "bytes received: " + received.count());
      assertEquals("hi\n".length(), sent.count(), "bytes sent");
      assertEquals("bytes", received.getId().getBaseUnit());
      assertEquals(7, registry.get("socketserver.limit.hits").functionCounters().size(),
          "one limit.hits counter per limit");
      assertEquals(0.0, registry.get("socketserver.limit.hits").tag("limit", "inbound-budget")
          .functionCounter().count());
      assertEquals(0.0, counter(registry, "socketserver.cut_requests").count());
      assertEquals(0.0, counter(registry, "socketserver.replies").count());
    }
  }

  @Test
  void prometheusTextNamesFollowTheConventions() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (TcpServer server = echoServer()) {
      SocketServerMetrics.of(server).bindTo(registry);
      server.start();
      runThreeConnections(server);
      Await.until("three durations recorded", WAIT,
          () -> registry.get("socketserver.connection.duration").timer().count() == 3);
      String text = registry.scrape();
      for (String expected : new String[] {
          "socketserver_active_connections{",
          "socketserver_connection_duration_seconds_count{",
          "socketserver_connection_duration_seconds_bucket{",
          "le=\"0.01\"",
          "le=\"300.0\"",
          "socketserver_accepted_connections_total{",
          "socketserver_rejected_connections_total{",
          "socketserver_requests_total{",
          "outcome=\"failed\"",
          "socketserver_io_bytes_total{",
          "network_io_direction=\"transmit\"",
          "socketserver_limit_hits_total{",
          "limit=\"tls-renegotiation\"",
          "network_transport=\"tcp\"",
          "server_address=\"127.0.0.1\""}) {
        assertTrue(text.contains(expected), () -> "no " + expected + " in:\n" + text);
      }
      assertTrue(text.lines().anyMatch(l ->
              l.startsWith("socketserver_connection_duration_seconds_count{") && l.endsWith(" 3")),
          () -> "duration count is not 3:\n" + text);
    }
  }

  @Test
  void bindingTwiceToOneRegistryCountsEachConnectionOnce() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (TcpServer server = echoServer()) {
      SocketServerMetrics metrics = SocketServerMetrics.of(server);
      metrics.bindTo(registry);
      metrics.bindTo(registry);
      server.start();
      runThreeConnections(server);
      Timer durations = registry.get("socketserver.connection.duration").timer();
      Await.until("three durations recorded", WAIT, () -> durations.count() >= 3);
      // A fourth connection, done once its reply came back: any double recording shows by now.
      assertEquals("again\n", exchange(server, "again"));
      Await.until("four connections closed", WAIT, () -> durations.count() >= 4);
      Await.until("active back to 0", WAIT, () -> server.metrics().active() == 0);
      assertEquals(4, durations.count());
    }
  }

  @Test
  void aListenerThatThrowsNeitherStopsClosesNorOtherListeners() throws Exception {
    AtomicInteger closed = new AtomicInteger();
    try (TcpServer server = echoServer()) {
      server.addListener(d -> {
        throw new IllegalStateException("listener bug!");
      });
      server.addListener(d -> closed.incrementAndGet());
      server.start();
      runThreeConnections(server);
      Await.until("the second listener saw three closes", WAIT, () -> closed.get() == 3);
      assertEquals("still\n", exchange(server, "still"));
    }
  }

  @Test
  void aServerWithNoBinderServesAndCountsAsBefore() throws Exception {
    MeterRegistry registry = new SimpleMeterRegistry();
    try (TcpServer server = echoServer()) {
      server.start();
      runThreeConnections(server);
      assertEquals(3, server.metrics().accepted());
      assertTrue(registry.getMeters().isEmpty(), "meters: " + registry.getMeters());
    }
  }

  private static FunctionCounter counter(MeterRegistry registry, String name) {
    return registry.get(name).functionCounter();
  }
}
