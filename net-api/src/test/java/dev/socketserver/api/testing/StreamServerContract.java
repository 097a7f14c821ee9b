package dev.socketserver.api.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Connection;
import dev.socketserver.api.FrameTooLongException;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.Server;
import dev.socketserver.api.ServerMetrics;
import dev.socketserver.api.StreamServerBuilder;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract every stream server keeps, whatever its transport: CPython's
 * {@code test_socketserver} scenarios ported to this API, plus what Python gets wrong. A
 * transport's test extends it and says how to build a server and connect to it (TCP, Unix
 * stream, TLS), so they all behave alike by construction.
 */
@Timeout(60)
public abstract class StreamServerContract extends ServerContract<Connection> {

  @Override
  protected abstract StreamServerBuilder<?> newBuilder() throws IOException;

  /** Connects a client to {@code server}. */
  protected abstract Connection connect(Server server) throws IOException;

  /**
   * Returns whether the bytes on the wire are the handler's bytes, so the byte counters equal
   * them; false for TLS, whose records add their overhead.
   */
  protected boolean plaintextOnTheWire() {
    return true;
  }

  /** Echoes lines until end of stream. */
  protected static final RequestHandler<Connection> LINE_ECHO =
      c -> {
        for (String line; (line = c.readLine(8192)) != null; ) {
          c.output().write((line + "\n").getBytes(UTF_8));
        }
      };

  @Override
  protected RequestHandler<Connection> echoHandler() {
    return LINE_ECHO;
  }

  @Override
  protected Peer peer(Server server) throws IOException {
    Connection c = connect(server);
    return new Peer() {
      @Override
      public void send(String message) throws IOException {
        c.output().write((message + "\n").getBytes(UTF_8));
        c.output().flush();
      }

      @Override
      public @Nullable String receive() throws IOException {
        return c.readLine(8192);
      }

      @Override
      public void finish() throws IOException {
        c.shutdownOutput();
      }

      @Override
      public void assertEndedByServer() throws IOException {
        assertEquals(-1, c.input().read());
      }

      @Override
      public void close() throws IOException {
        c.close();
      }
    };
  }

  @Override
  protected String read(Connection request) throws IOException {
    String line = request.readLine(8192);
    if (line == null) {
      throw new EOFException("the client ended the stream before its request");
    }
    return line;
  }

  @Override
  protected Server serverOf(Connection request) {
    return request.server();
  }

  @Override
  protected void reply(Connection request, String message) throws IOException {
    request.output().write((message + "\n").getBytes(UTF_8));
    request.output().flush();
  }

  /** Reads what the client never sends: the read fails once the server closes the connection. */
  @Override
  protected void blockInIo(Connection request) throws IOException {
    request.input().read();
  }

  /** Builds the server and starts serving it on a thread of its own. */
  protected static Server serve(StreamServerBuilder<?> builder) throws IOException {
    return builder.build().start();
  }

  /** Writes {@code line} and a newline, returns the line read back. */
  protected static String exchange(Connection c, String line) throws IOException {
    c.output().write((line + "\n").getBytes(UTF_8));
    return c.readLine(8192);
  }

  // ---- CPython scenarios ----

  @ParameterizedTest
  @MethodSource("dev.socketserver.api.testing.ServerContract#policies")
  void echoesOneLinePerClientForThreeClientsInTurn(Concurrency policy) throws Exception {
    try (Server server = serve(newBuilder().concurrency(policy).handler(LINE_ECHO))) {
      for (int i = 0; i < 3; i++) {
        try (Connection c = connect(server)) {
          assertEquals("hello " + i, exchange(c, "hello " + i));
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("dev.socketserver.api.testing.ServerContract#policies")
  void servesManyClientsAtOnceWithinThePolicy(Concurrency policy) throws Exception {
    try (Server server = serve(newBuilder().concurrency(policy).handler(LINE_ECHO));
        ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<String>> replies = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        String msg = "client " + i;
        replies.add(clients.submit(() -> {
          try (Connection c = connect(server)) {
            return exchange(c, msg);
          }
        }));
      }
      for (int i = 0; i < 20; i++) {
        assertEquals("client " + i, replies.get(i).get());
      }
    }
  }

  @Test
  void localAddressIsTheBoundSocketsAddress() throws Exception {
    AtomicReference<Object> seen = new AtomicReference<>();
    try (Server server = serve(newBuilder().handler(c -> seen.set(c.localAddress())))) {
      try (Connection c = connect(server)) {
        assertEquals(server.localAddress(), c.remoteAddress());
        assertEquals(-1, c.input().read());
      }
      assertEquals(server.localAddress(), seen.get());
    }
  }

  @Test
  void handleRequestServesExactlyOneRequest() throws Exception {
    try (Server server = newBuilder().concurrency(Concurrency.sequential()).handler(LINE_ECHO).build()) {
      CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
        try (Connection c = connect(server)) {
          return exchange(c, "one");
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      assertTrue(server.handleRequest(Duration.ofSeconds(30)));
      assertEquals("one", first.get());
      assertEquals(1, server.metrics().accepted());
    }
  }

  // ---- lifecycle ----

  @Test
  void serveForeverReturnsAfterShutdownFromAnotherThread() throws Exception {
    Server server = newBuilder().handler(LINE_ECHO).build();
    CompletableFuture<Void> serving = CompletableFuture.runAsync(server::serveForever);
    try (Connection c = connect(server)) {
      assertEquals("x", exchange(c, "x")); // the loop is up
    }
    server.shutdown();
    serving.get(10, TimeUnit.SECONDS);
    server.close();
    assertEquals(Server.State.TERMINATED, server.state());
  }

  @Test
  void interruptingTheServingThreadShutsTheServerDown() throws Exception {
    Server server = newBuilder().handler(LINE_ECHO).build();
    Thread serving = Thread.ofPlatform().start(server::serveForever);
    try (Connection c = connect(server)) {
      assertEquals("x", exchange(c, "x"));
    }
    serving.interrupt();
    serving.join(10_000);
    assertFalse(serving.isAlive());
    assertTrue(server.awaitTermination(Duration.ofSeconds(10)));
  }

  @Test
  void clientsAfterShutdownAreRefusedNotLeftHanging() throws Exception {
    Server server = serve(newBuilder().handler(LINE_ECHO));
    server.shutdown();
    assertTrue(server.awaitTermination(Duration.ofSeconds(10)));
    assertThrows(IOException.class, () -> connect(server).close());
  }

  @Test
  void shutdownLetsInFlightRequestsFinish() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(1);
    try (Server server = serve(newBuilder().handler(c -> {
      inHandler.countDown();
      LINE_ECHO.handle(c);
    }))) {
      try (Connection c = connect(server)) {
        c.output().write("ping\n".getBytes(UTF_8));
        inHandler.await();
        server.shutdown();
        assertEquals("ping", c.readLine(100)); // accepted before shutdown: fully served
        assertEquals("pong", exchange(c, "pong"));
      }
      assertTrue(server.awaitTermination(Duration.ofSeconds(10)));
    }
  }

  // ---- errors and hooks ----

  @Test
  void aThrowingHandlerIsReportedOnceAndTheServerKeepsServing() throws Exception {
    List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    CountDownLatch reported = new CountDownLatch(1);
    try (Server server = serve(newBuilder()
        .errorHandler((c, e) -> {
          errors.add(e);
          reported.countDown();
        })
        .handler(c -> {
          String line = c.readLine(100);
          if ("boom".equals(line)) {
            throw new IllegalStateException("boom");
          }
          c.output().write((line + "\n").getBytes(UTF_8));
        }))) {
      try (Connection c = connect(server)) {
        c.output().write("boom\n".getBytes(UTF_8));
        assertNull(c.readLine(100)); // closed after the failure
      }
      reported.await();
      try (Connection c = connect(server)) {
        assertEquals("fine", exchange(c, "fine"));
      }
      assertEquals(1, errors.size());
      assertEquals("boom", errors.get(0).getMessage());
      Await.until("counters settle", Duration.ofSeconds(10), () -> server.metrics().active() == 0);
      ServerMetrics m = server.metrics();
      assertEquals(2, m.accepted());
      assertEquals(1, m.failed());
      assertEquals(1, m.completed());
    }
  }

  @Test
  void aRejectedConnectionIsClosedAndNeverHandled() throws Exception {
    AtomicInteger handled = new AtomicInteger();
    AtomicInteger asked = new AtomicInteger();
    try (Server server = serve(newBuilder()
        .filter(c -> asked.incrementAndGet() > 1) // the first client is refused
        .handler(c -> {
          handled.incrementAndGet();
          LINE_ECHO.handle(c);
        }))) {
      try (Connection c = connect(server)) {
        assertEquals(-1, c.input().read());
      }
      try (Connection c = connect(server)) {
        assertEquals("ok", exchange(c, "ok"));
      }
      assertEquals(2, asked.get());
      assertEquals(1, handled.get());
      assertEquals(1, server.metrics().rejected());
    }
  }

  // ---- limits ----

  @Test
  void limitNeverLetsMoreThanNHandlersRunAtOnce() {
    qt().withExamples(8).withShrinkCycles(0)
        .forAll(integers().between(1, 4), integers().between(1, 10))
        .checkAssert((limit, clients) -> {
          try {
            checkLimit(limit, clients);
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
  }

  private void checkLimit(int limit, int clients) throws Exception {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger max = new AtomicInteger();
    Semaphore release = new Semaphore(0);
    try (Server server = serve(newBuilder()
        .concurrency(Concurrency.virtualThreads().limit(limit))
        .handler(c -> {
          max.accumulateAndGet(running.incrementAndGet(), Math::max);
          release.acquire();
          running.decrementAndGet();
          c.output().write('k');
        }));
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<Integer>> done = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        done.add(pool.submit(() -> {
          try (Connection c = connect(server)) {
            return c.input().read();
          }
        }));
      }
      for (int left = clients; left > 0; left--) {
        int expected = Math.min(limit, left);
        Await.until(expected + " handlers running", Duration.ofSeconds(20), () -> running.get() == expected);
        assertTrue(running.get() <= limit, "running " + running.get() + " > limit " + limit);
        release.release();
      }
      for (Future<Integer> f : done) {
        assertEquals('k', f.get());
      }
      assertEquals(Math.min(limit, clients), max.get());
    }
  }

  // ---- timeouts and limits, each observed in the metrics ----

  @Test
  void anIdleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch failed = new CountDownLatch(1);
    try (Server server = serve(newBuilder()
        .idleTimeout(Duration.ofMillis(200))
        .errorHandler((c, e) -> {
          failure.set(e);
          failed.countDown();
        })
        .handler(LINE_ECHO))) {
      try (Connection c = connect(server)) {
        assertEquals("awake", exchange(c, "awake"));
        assertEquals(-1, c.input().read()); // then silent: the server closes it
      }
      failed.await();
      assertTrue(failure.get().getMessage().contains("idle-timeout"), failure.get()::toString);
      assertEquals(1, server.metrics().idleTimeouts());
    }
  }

  @Test
  void aBusyConnectionIsClosedAtItsMaximumLifetime() throws Exception {
    try (Server server = serve(newBuilder()
        .maxConnectionLifetime(Duration.ofMillis(300))
        .errorHandler((c, e) -> {})
        .handler(LINE_ECHO))) {
      Connection c = connect(server);
      long start = System.nanoTime();
      try {
        while (exchange(c, "busy") != null) {
          // busy until the server closes it (a TLS handshake may use up the lifetime first)
        }
      } catch (IOException expected) {
        // reset by the server's close: as good as end of stream
      }
      assertTrue(System.nanoTime() - start >= Duration.ofMillis(200).toNanos());
      try {
        c.close();
      } catch (IOException expected) {
        // the last "busy" may still be buffered, and the server is gone: it cannot be flushed
      }
      Await.until("lifetime counted", Duration.ofSeconds(10), () -> server.metrics().lifetimeExpirations() == 1);
      assertEquals(0, server.metrics().idleTimeouts());
    }
  }

  @Test
  void readAndWriteTimeoutsAreCounted() throws Exception {
    CountDownLatch failed = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    try (Server server = serve(newBuilder()
        .readTimeout(Duration.ofMillis(30))
        .writeTimeout(Duration.ofMillis(100))
        .errorHandler((c, e) -> {
          failure.set(e);
          failed.countDown();
        })
        .handler(c -> {
          try {
            c.input().read();
          } catch (SocketTimeoutException e) {
            byte[] chunk = new byte[65536];
            while (true) {
              c.output().write(chunk); // the client never reads: the write times out
            }
          }
        }))) {
      try (Connection _ = connect(server)) {
        failed.await();
        assertInstanceOf(SocketTimeoutException.class, failure.get());
      }
      ServerMetrics m = server.metrics();
      assertEquals(1, m.readTimeouts());
      assertEquals(1, m.writeTimeouts());
    }
  }

  @Test
  void theConcurrencyLimitIsTheMaximumOfConnectionsAndItsWaitsAreCounted() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (Server server = serve(newBuilder()
        .concurrency(Concurrency.virtualThreads().limit(1))
        .handler(c -> {
          c.output().write('1');
          c.output().flush();
          release.await();
        }))) {
      try (Connection first = connect(server)) {
        assertEquals('1', first.input().read());
        // The second connects into the backlog (a TLS client waits there for its handshake).
        CompletableFuture<Integer> second = CompletableFuture.supplyAsync(() -> {
          try (Connection c = connect(server)) {
            return c.input().read();
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        });
        Await.until("the serving thread waits", Duration.ofSeconds(10), () -> server.metrics().limitWaits() >= 1);
        assertEquals(1, server.metrics().accepted());
        release.countDown();
        assertEquals('1', second.get(30, TimeUnit.SECONDS));
      }
    }
  }

  // ---- data ----

  @Test
  void aSixteenMebibytePlusOneWriteArrivesWhole() throws Exception {
    byte[] big = new byte[(16 << 20) + 1];
    new Random(42).nextBytes(big);
    try (Server server = serve(newBuilder().handler(c -> c.output().write(big)))) {
      try (Connection c = connect(server)) {
        byte[] got = c.input().readAllBytes();
        assertArrayEquals(big, got);
      }
    }
  }

  @Test
  void echoesAllBytesWhateverTheBufferSizes() throws Exception {
    byte[] data = new byte[60_000];
    new Random(7).nextBytes(data);
    for (int[] sizes : new int[][] {{1, 0}, {1, 1}, {7, 3}, {8192, 8192}, {65536, 0}}) {
      try (Server server = serve(newBuilder()
          .readBufferSize(sizes[0])
          .writeBufferSize(sizes[1])
          .handler(c -> c.input().transferTo(c.output())))) {
        try (Connection c = connect(server)) {
          CompletableFuture<byte[]> echoed = CompletableFuture.supplyAsync(() -> {
            try {
              return c.input().readAllBytes();
            } catch (IOException e) {
              throw new IllegalStateException(e);
            }
          });
          OutputStream out = c.output();
          for (int off = 0; off < data.length; off += 1000) {
            out.write(data, off, Math.min(1000, data.length - off));
          }
          c.shutdownOutput();
          assertArrayEquals(data, echoed.get(30, TimeUnit.SECONDS), "buffers " + sizes[0] + "/" + sizes[1]);
        }
      }
    }
  }

  @Test
  void aHalfClosedClientStillGetsItsReply() throws Exception {
    try (Server server = serve(newBuilder().handler(c -> {
      byte[] all = c.input().readAllBytes(); // until the client's half-close
      c.output().write(("got " + all.length + "\n").getBytes(UTF_8));
    }))) {
      try (Connection c = connect(server)) {
        c.output().write(new byte[1234]);
        c.shutdownOutput();
        assertEquals("got 1234", c.readLine(100));
      }
    }
  }

  @Test
  void aReadTimesOutAndTheConnectionStaysUsable() throws Exception {
    try (Server server = serve(newBuilder().readTimeout(Duration.ofMillis(50)).handler(c -> {
      try {
        c.input().read();
      } catch (SocketTimeoutException e) {
        c.output().write("timeout\n".getBytes(UTF_8));
      }
      c.output().write((c.readLine(100) + "\n").getBytes(UTF_8));
    }))) {
      try (Connection c = connect(server)) {
        assertEquals("timeout", c.readLine(100));
        assertEquals("after", exchange(c, "after"));
      }
    }
  }

  @Test
  void aLineLongerThanTheLimitFailsWithoutClosingOtherConnections() throws Exception {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch failed = new CountDownLatch(1);
    try (Server server = serve(newBuilder()
        .errorHandler((c, e) -> {
          failure.set(e);
          failed.countDown();
        })
        .handler(c -> {
          for (String line; (line = c.readLine(10)) != null; ) {
            c.output().write((line + "\n").getBytes(UTF_8));
          }
        }))) {
      try (Connection good = connect(server); Connection bad = connect(server)) {
        assertEquals("0123456789", exchange(good, "0123456789")); // exactly at the limit
        assertEquals("crlf", exchange(good, "crlf\r"));
        bad.output().write("0123456789A\n".getBytes(UTF_8));
        bad.output().flush();
        assertEquals(-1, bad.input().read());
        failed.await();
        FrameTooLongException e = assertInstanceOf(FrameTooLongException.class, failure.get());
        assertEquals(10, e.limit());
        assertEquals("still", exchange(good, "still"));
      }
    }
  }

  @Test
  void aClientThatLeavesMidReplyDoesNotDisturbOthers() throws Exception {
    CountDownLatch failed = new CountDownLatch(1);
    try (Server server = serve(newBuilder()
        .errorHandler((c, e) -> failed.countDown())
        .handler(c -> {
          String first = c.readLine(100);
          if ("flood".equals(first)) {
            byte[] chunk = new byte[65536];
            while (true) {
              c.output().write(chunk); // until the client is gone
            }
          }
          c.output().write((first + "\n").getBytes(UTF_8));
        }))) {
      try (Connection flood = connect(server)) {
        flood.output().write("flood\n".getBytes(UTF_8));
        flood.output().flush();
        InputStream in = flood.input();
        in.readNBytes(100_000);
      } // leaves mid-reply
      failed.await();
      try (Connection c = connect(server)) {
        assertEquals("fine", exchange(c, "fine"));
      }
    }
  }

  @Test
  void metricsCountRequestsAndBytes() throws Exception {
    try (Server server = serve(newBuilder().handler(LINE_ECHO))) {
      for (int i = 0; i < 3; i++) {
        try (Connection c = connect(server)) {
          assertEquals("abc", exchange(c, "abc"));
        }
      }
      Await.until("3 completed, none active", Duration.ofSeconds(10),
          () -> server.metrics().completed() == 3 && server.metrics().active() == 0);
      ServerMetrics m = server.metrics();
      assertEquals(3, m.accepted());
      assertEquals(0, m.active());
      if (plaintextOnTheWire()) {
        assertEquals(12, m.bytesRead());
        assertEquals(12, m.bytesWritten());
      } else {
        assertTrue(m.bytesRead() > 12 && m.bytesWritten() > 12, m::toString);
      }
    }
  }
}
