package dev.socketserver.tcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Connection;
import dev.socketserver.api.DrainReport;
import dev.socketserver.api.Handlers;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.ServerMetrics;
import dev.socketserver.api.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Handlers#framed}/{@link Handlers#lines} under virtual threads serve a connection in turns:
 * the connection's thread ends whenever every frame read so far is answered, and a new one takes
 * it up when bytes arrive. These tests pin what that must not change (every frame answered in
 * order, however the bytes are split; the limit, drain and shutdownNow as for any handler) and
 * that an idle connection really holds no thread. {@link NonBlockingTurnsTest} runs them all again
 * for {@link Handlers#nonBlocking}.
 */
@Timeout(60)
class FramedTurnsTest {
  static final Duration WAIT = Duration.ofSeconds(10);

  /** The handler of lines under test: {@link Handlers#lines} here. */
  RequestHandler<Connection> lines(int maxBytes, Handlers.LineHandler handler) {
    return Handlers.lines(maxBytes, handler);
  }

  /** Upper-cases each line and records the thread that answered it. */
  final LinkedBlockingDeque<Thread> answeredBy = new LinkedBlockingDeque<>();

  final RequestHandler<Connection> upper = lines(64, line -> {
    answeredBy.add(Thread.currentThread());
    return line.toUpperCase(Locale.ROOT);
  });

  static TcpServer serve(TcpServer.Builder builder) throws Exception {
    return builder.bind("127.0.0.1", 0).build().start();
  }

  static Connection connect(TcpServer server) throws Exception {
    return TcpClient.connect(server.localAddress(), WAIT);
  }

  static void send(Connection c, String s) throws Exception {
    c.output().write(s.getBytes(UTF_8));
    c.output().flush();
  }

  @Test
  void anIdleConnectionHoldsNoThreadAndTheNextFrameStartsOne() throws Exception {
    try (TcpServer server = serve(TcpServer.builder().handler(upper));
        Connection c = connect(server)) {
      send(c, "one\n");
      assertEquals("ONE", c.readLine(64));
      Thread first = answeredBy.take();
      assertTrue(first.isVirtual());
      // The connection stays open and idle: its thread ends all the same.
      assertTrue(first.join(WAIT), "the idle connection's thread did not end");
      assertEquals(1, server.metrics().active());

      send(c, "two\n");
      assertEquals("TWO", c.readLine(64));
      assertNotSame(first, answeredBy.take());

      endAndAssertCompleted(server, c);
    }
  }

  /** Ends {@code c}'s side of the conversation; its request, the server's only one, completes. */
  static void endAndAssertCompleted(TcpServer server, Connection c) throws Exception {
    c.shutdownOutput();
    assertNull(c.readLine(64));
    Await.until("the request to complete", WAIT, () -> server.metrics().completed() == 1);
    ServerMetrics m = server.metrics();
    assertEquals(0, m.active());
    assertEquals(0, m.failed());
  }

  @Test
  void pipelinedFramesAreAllAnsweredInOrder() throws Exception {
    try (TcpServer server = serve(TcpServer.builder().handler(upper));
        Connection c = connect(server)) {
      send(c, "a\nb\nc\n");
      assertEquals("A", c.readLine(64));
      assertEquals("B", c.readLine(64));
      assertEquals("C", c.readLine(64));
    }
  }

  /**
   * However the bytes are split, and whether or not the server has read each piece (and ended its
   * turn) before the next is sent, every line comes back once, whole, in order.
   */
  @Test
  void framesSplitAcrossTurnsAreReassembled() throws Exception {
    try (TcpServer server = serve(TcpServer.builder()
        .handler(lines(300, line -> line.toUpperCase(Locale.ROOT))))) {
      qt().withExamples(60)
          .forAll(lists().of(integers().between(0, 120)).ofSizeBetween(1, 12),
              lists().of(integers().between(1, 40)).ofSizeBetween(1, 20))
          .checkAssert((lineLengths, cuts) -> {
            try {
              exchangeInPieces(server, lineLengths, cuts);
            } catch (Exception e) {
              throw new AssertionError(e);
            }
          });
    }
  }

  private void exchangeInPieces(TcpServer server, List<Integer> lineLengths, List<Integer> cuts)
      throws Exception {
    StringBuilder all = new StringBuilder();
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < lineLengths.size(); i++) {
      String line = "l" + i + "x".repeat(lineLengths.get(i));
      lines.add(line);
      all.append(line).append('\n');
    }
    byte[] bytes = all.toString().getBytes(UTF_8);
    try (Connection c = connect(server)) {
      CompletableFuture<List<String>> replies = CompletableFuture.supplyAsync(() -> {
        List<String> got = new ArrayList<>();
        try {
          String r;
          while ((r = c.readLine(400)) != null) {
            got.add(r);
          }
        } catch (Exception e) {
          throw new AssertionError(e);
        }
        return got;
      });
      long readBefore = server.metrics().bytesRead();
      int at = 0;
      for (int i = 0; at < bytes.length; i++) {
        int n = Math.min(cuts.get(i % cuts.size()), bytes.length - at);
        c.output().write(bytes, at, n);
        c.output().flush();
        at += n;
        if (i % 2 == 0) {
          // Half the pieces: wait until the server has read this one, so a turn sees it alone.
          long expected = readBefore + at;
          Await.until("the server to read " + at + " bytes", WAIT,
              () -> server.metrics().bytesRead() >= expected);
        }
      }
      c.shutdownOutput();
      List<String> expected = lines.stream().map(s -> s.toUpperCase(Locale.ROOT)).toList();
      assertEquals(expected, replies.get());
    }
  }

  @Test
  void manyConnectionsTalkingAtOnceAreEachAnsweredInOrder() throws Exception {
    try (TcpServer server = serve(TcpServer.builder()
        .handler(lines(64, line -> line.toUpperCase(Locale.ROOT))))) {
      List<CompletableFuture<Void>> clients = new ArrayList<>();
      for (int k = 0; k < 100; k++) {
        int id = k;
        clients.add(CompletableFuture.runAsync(() -> {
          try (Connection c = connect(server)) {
            for (int i = 0; i < 200; i++) {
              send(c, "c" + id + "m" + i + "\n");
              assertEquals("C" + id + "M" + i, c.readLine(64));
            }
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        }, Thread::startVirtualThread));
      }
      CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get();
      Await.until("all 100 requests to complete", WAIT, () -> server.metrics().completed() == 100);
      assertEquals(0, server.metrics().failed());
    }
  }

  @Test
  void aTruncatedLastFrameFailsTheConnection() throws Exception {
    AtomicReference<Throwable> error = new AtomicReference<>();
    try (TcpServer server = serve(TcpServer.builder().handler(upper)
        .errorHandler((Connection c, Throwable t) -> error.set(t)));
        Connection c = connect(server)) {
      send(c, "whole\npart");
      assertEquals("WHOLE", c.readLine(64));
      c.shutdownOutput();
      assertNull(c.readLine(64));
      Await.until("the request to fail", WAIT, () -> server.metrics().failed() == 1);
      assertTrue(error.get() instanceof dev.socketserver.api.FrameException, String.valueOf(error.get()));
    }
  }

  @Test
  void anErrorInALaterTurnGoesToTheErrorHandlerAndClosesTheConnection() throws Exception {
    AtomicReference<Throwable> error = new AtomicReference<>();
    try (TcpServer server = serve(TcpServer.builder()
        .handler(lines(64, line -> {
          if (line.equals("boom")) {
            throw new IllegalStateException("boom");
          }
          return line;
        }))
        .errorHandler((Connection c, Throwable t) -> error.set(t)));
        Connection c = connect(server)) {
      send(c, "fine\n");
      assertEquals("fine", c.readLine(64));
      send(c, "boom\n");
      assertNull(c.readLine(64));
      Await.until("the request to fail", WAIT, () -> server.metrics().failed() == 1);
      assertEquals("boom", error.get().getMessage());
      assertEquals(0, server.metrics().active());
    }
  }

  @Test
  void shutdownNowClosesIdleConnectionsWithoutThreads() throws Exception {
    TcpServer server = serve(TcpServer.builder().handler(upper));
    List<Connection> clients = new ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) {
        Connection c = connect(server);
        clients.add(c);
        send(c, "hi\n");
        assertEquals("HI", c.readLine(64));
      }
      assertEquals(20, server.metrics().active());
      server.shutdownNow();
      assertTrue(server.awaitTermination(WAIT));
      for (Connection c : clients) {
        assertNull(c.readLine(64));
      }
      ServerMetrics m = server.metrics();
      assertEquals(0, m.active());
      assertEquals(20, m.completed() + m.failed());
    } finally {
      for (Connection c : clients) {
        c.close();
      }
      server.close();
    }
  }

  @Test
  void drainWaitsForAnIdleConnectionAndCutsItAtTheDeadline() throws Exception {
    try (TcpServer server = serve(TcpServer.builder().handler(upper));
        Connection c = connect(server)) {
      send(c, "hi\n");
      assertEquals("HI", c.readLine(64));
      DrainReport report = server.drain(Duration.ofMillis(200));
      assertEquals(1, report.cut());
      assertTrue(report.terminated());
      assertNull(c.readLine(64));
    }
  }

  /** Has {@code c} answered by {@link #upper}, then waits until no thread serves it. */
  void awaitIdleWithNoThread(Connection c) throws Exception {
    send(c, "one\n");
    assertEquals("ONE", c.readLine(64));
    assertTrue(answeredBy.take().join(WAIT));
  }

  @Test
  void theLimitCountsAConnectionServedInTurnsForItsWholeLife() throws Exception {
    try (TcpServer server = serve(TcpServer.builder()
        .concurrency(Concurrency.virtualThreads().limit(1))
        .handler(upper));
        Connection first = connect(server)) {
      awaitIdleWithNoThread(first); // still the one request in flight
      try (Connection second = connect(server)) {
        send(second, "two\n");
        Await.until("the server to wait for a slot", WAIT, () -> server.metrics().limitWaits() >= 1);
        assertEquals(1, server.metrics().active());
        first.close();
        assertEquals("TWO", second.readLine(64));
      }
    }
  }

  @Test
  void withAReadTimeoutOrPlatformThreadsOneThreadServesTheConnection() throws Exception {
    for (TcpServer.Builder builder : List.of(
        TcpServer.builder().readTimeout(Duration.ofSeconds(30)),
        TcpServer.builder().concurrency(Concurrency.platformThreads()))) {
      answeredBy.clear();
      try (TcpServer server = serve(builder.handler(upper));
          Connection c = connect(server)) {
        send(c, "one\n");
        assertEquals("ONE", c.readLine(64));
        send(c, "two\n");
        assertEquals("TWO", c.readLine(64));
        assertSame(answeredBy.take(), answeredBy.take());
      }
    }
  }
}
