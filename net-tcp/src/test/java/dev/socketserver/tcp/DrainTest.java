package dev.socketserver.tcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Connection;
import dev.socketserver.api.ConnectionOptions;
import dev.socketserver.api.DrainReport;
import dev.socketserver.api.Handlers;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.Server;
import dev.socketserver.api.TlsOptions;
import dev.socketserver.api.testing.Await;
import dev.socketserver.api.testing.TestCertificates;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A drain ends long-lived connections at a message boundary: an idle keep-alive connection sees a
 * clean end of stream after the replies it got (not a reset, not a "cut request" at the drain
 * deadline), a frame begun is finished and answered first, and a blocking handler can ask
 * {@link Connection#draining()}.
 */
@Timeout(60)
class DrainTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration DEADLINE = Duration.ofSeconds(20);
  private static final RequestHandler<Connection> LINES = Handlers.lines(100, line -> line);

  private static TcpServer.Builder builder(String policy, RequestHandler<Connection> handler) {
    return TcpServer.builder()
        .bind("127.0.0.1", 0)
        .readTimeout(Duration.ZERO)
        .concurrency(policy.equals("virtual") ? Concurrency.virtualThreads() : Concurrency.platformThreads())
        .handler(handler);
  }

  private static String exchange(Connection c, String line) throws IOException {
    c.output().write((line + "\n").getBytes(UTF_8));
    c.output().flush();
    return c.readLine(100);
  }

  private static CompletableFuture<DrainReport> drain(Server server) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return server.drain(DEADLINE);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /** Starts a drain and returns once it began. */
  private static CompletableFuture<DrainReport> drainStarted(Server server) {
    CompletableFuture<DrainReport> drained = drain(server);
    Await.until("the drain began", WAIT, () -> server.state() != Server.State.RUNNING);
    return drained;
  }

  /** The drain ended in time, with nothing cut. */
  private static void assertGraceful(Server server, CompletableFuture<DrainReport> drained) throws Exception {
    DrainReport report = drained.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertTrue(report.graceful(), report::toString);
    assertEquals(0, report.cut());
    assertEquals(0, server.metrics().cut());
  }

  /** {@code c} sees a clean end of stream, closes, and the drain ends graceful. */
  private static void endsCleanly(Connection c, Server server, CompletableFuture<DrainReport> drained)
      throws Exception {
    assertNull(c.readLine(100), "a clean end of stream after the replies");
    c.close(); // the server, which closed first, waits for this (at most a linger of 2 s)
    assertGraceful(server, drained);
  }

  /** Three idle connections, each after an exchange: the drain ends them cleanly, at once. */
  private static void idleConnectionsEndCleanly(Server server, List<Connection> clients) throws Exception {
    for (int i = 0; i < clients.size(); i++) {
      assertEquals("hello " + i, exchange(clients.get(i), "hello " + i));
    }
    CompletableFuture<DrainReport> drained = drain(server);
    for (Connection c : clients) {
      assertNull(c.readLine(100), "a clean end of stream after the reply");
      c.close(); // the server, which closed first, waits for this (at most a linger of 2 s)
    }
    DrainReport report = drained.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertTrue(report.graceful(), report::toString);
    assertEquals(0, report.cut());
    assertEquals(0, server.metrics().cut());
    assertEquals(clients.size(), server.metrics().completed());
  }

  @ParameterizedTest
  @ValueSource(strings = {"virtual", "platform"}) // served in turns, and on a thread each
  void idleFramedConnectionsEndAtTheDrainNotCut(String policy) throws Exception {
    List<Connection> clients = new ArrayList<>();
    try (TcpServer server = builder(policy, LINES).build().start()) {
      for (int i = 0; i < 3; i++) {
        clients.add(TcpClient.connect(server.localAddress(), WAIT));
      }
      idleConnectionsEndCleanly(server, clients);
    } finally {
      for (Connection c : clients) {
        c.close();
      }
    }
  }

  @Test
  void anIdleEchoEndsAtTheDrain() throws Exception {
    List<Connection> clients = new ArrayList<>();
    try (TcpServer server = builder("virtual", c -> c.input().transferTo(c.output())).build().start()) {
      for (int i = 0; i < 3; i++) {
        clients.add(TcpClient.connect(server.localAddress(), WAIT));
      }
      idleConnectionsEndCleanly(server, clients);
    } finally {
      for (Connection c : clients) {
        c.close();
      }
    }
  }

  @Test
  void idleTlsConnectionsEndAtTheDrain() throws Exception {
    TestCertificates certs = TestCertificates.get();
    List<Connection> clients = new ArrayList<>();
    try (TcpServer server = builder("virtual", LINES)
        .tls(TlsOptions.of(certs.serverContext())).build().start()) {
      for (int i = 0; i < 3; i++) {
        clients.add(TcpClient.connect(server.localAddress(), WAIT, ConnectionOptions.defaults(),
            TlsOptions.of(certs.clientContext())));
      }
      idleConnectionsEndCleanly(server, clients);
    } finally {
      for (Connection c : clients) {
        c.close();
      }
    }
  }

  /** A line begun before the drain is finished, answered, and only then the stream ends. */
  @ParameterizedTest
  @ValueSource(strings = {"virtual", "platform"})
  void aFrameBegunBeforeTheDrainIsAnsweredFirst(String policy) throws Exception {
    try (TcpServer server = builder(policy, LINES).build().start()) {
      Connection c = TcpClient.connect(server.localAddress(), WAIT);
      try {
        assertEquals("first", exchange(c, "first"));
        c.output().write("par".getBytes(UTF_8));
        c.output().flush();
        Await.until("the server read the partial line", WAIT, () -> server.metrics().bytesRead() >= 9);
        CompletableFuture<DrainReport> drained = drainStarted(server);
        assertEquals("partial", exchange(c, "tial"));
        endsCleanly(c, server, drained);
      } finally {
        c.close();
      }
    }
  }

  /**
   * A client that goes on sending while the server drains is served on (each next line begins
   * well within the drain's quiet time), and its connection ends once it pauses.
   */
  @ParameterizedTest
  @ValueSource(strings = {"virtual", "platform"})
  void aClientThatKeepsSendingIsServedThroughTheDrain(String policy) throws Exception {
    try (TcpServer server = builder(policy, LINES).build().start()) {
      Connection c = TcpClient.connect(server.localAddress(), WAIT);
      try {
        assertEquals("before", exchange(c, "before"));
        CompletableFuture<DrainReport> drained = drainStarted(server);
        for (int i = 0; i < 20; i++) {
          assertEquals("during " + i, exchange(c, "during " + i));
        }
        endsCleanly(c, server, drained); // once the client pauses
      } finally {
        c.close();
      }
    }
  }

  /** {@code shutdown()} alone ends no connection: its client may go on. */
  @Test
  void shutdownAloneLetsAnIdleConnectionGoOn() throws Exception {
    try (TcpServer server = builder("virtual", LINES).build().start()) {
      Connection c = TcpClient.connect(server.localAddress(), WAIT);
      try {
        assertEquals("before", exchange(c, "before"));
        server.shutdown();
        assertTrue(!c.draining());
        assertEquals("after", exchange(c, "after"));
      } finally {
        c.close();
      }
      assertTrue(server.awaitTermination(WAIT));
    }
  }

  /** A blocking handler asks whether the server drains, and ends after its reply. */
  @Test
  void aBlockingHandlerSeesTheDrain() throws Exception {
    CountDownLatch read = new CountDownLatch(1);
    CountDownLatch go = new CountDownLatch(1);
    RequestHandler<Connection> handler = c -> {
      while (!c.draining()) {
        String line = c.readLine(100);
        if (line == null) {
          return;
        }
        read.countDown();
        go.await();
        c.output().write((line + " draining=" + c.draining() + "\n").getBytes(UTF_8));
      }
    };
    try (TcpServer server = builder("platform", handler).build().start()) {
      Connection c = TcpClient.connect(server.localAddress(), WAIT);
      try {
        c.output().write("one\n".getBytes(UTF_8));
        c.output().flush();
        assertTrue(read.await(WAIT.toSeconds(), TimeUnit.SECONDS));
        assertTrue(!c.draining(), "a client's connection never drains");
        CompletableFuture<DrainReport> drained = drainStarted(server);
        go.countDown();
        assertEquals("one draining=true", c.readLine(100));
        assertNull(c.readLine(100));
        c.close();
        assertTrue(drained.get(WAIT.toSeconds(), TimeUnit.SECONDS).graceful());
      } finally {
        c.close();
      }
    }
  }
}
