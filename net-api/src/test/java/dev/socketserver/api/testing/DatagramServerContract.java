package dev.socketserver.api.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Datagram;
import dev.socketserver.api.DatagramServerBuilder;
import dev.socketserver.api.FrameTooLongException;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.Server;
import dev.socketserver.api.ServerMetrics;
import java.io.Closeable;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract every datagram server keeps, whatever its transport: CPython's
 * {@code test_socketserver} UDP scenarios ported to this API, plus what Python gets wrong (it cuts
 * datagrams at 8192 bytes and always replies, even after a failure). A transport's test extends
 * it and says how to build a server, how large a datagram it carries, and how a client sends and
 * receives (UDP, Unix datagram), so they all behave alike by construction.
 */
@Timeout(60)
public abstract class DatagramServerContract extends ServerContract<Datagram> {

  /** A client socket talking to one server. */
  protected interface Client extends AutoCloseable {
    /** Sends {@code data} to the server in one datagram. */
    void send(byte[] data) throws IOException;

    /**
     * Returns the next datagram to this client, waiting at most {@code timeout}.
     *
     * @throws SocketTimeoutException if none came in time
     */
    Datagram receive(Duration timeout) throws IOException;

    @Override
    void close() throws IOException;

    /** Sends one datagram; see {@link Client#send}. */
    @FunctionalInterface
    interface Sender {
      void send(byte[] data) throws IOException;
    }

    /** Receives one datagram; see {@link Client#receive}. */
    @FunctionalInterface
    interface Receiver {
      Datagram receive(Duration timeout) throws IOException;
    }

    /** A client made of a transport client's methods, for example {@code udp::receive}. */
    static Client of(Sender send, Receiver receive, Closeable close) {
      return new Client() {
        @Override
        public void send(byte[] data) throws IOException {
          send.send(data);
        }

        @Override
        public Datagram receive(Duration timeout) throws IOException {
          return receive.receive(timeout);
        }

        @Override
        public void close() throws IOException {
          close.close();
        }
      };
    }
  }

  @Override
  protected abstract DatagramServerBuilder<?> newBuilder() throws IOException;

  /** Opens a client of {@code server}. */
  protected abstract Client client(Server server) throws IOException;

  /** Returns the largest payload the transport carries in one datagram, for example 65 507. */
  protected abstract int maxPayload();

  /** Echoes each datagram to its sender. */
  protected static final RequestHandler<Datagram> ECHO = d -> d.reply(d.payload());

  @Override
  protected RequestHandler<Datagram> echoHandler() {
    return ECHO;
  }

  private static final Duration WAIT = Duration.ofSeconds(10);

  @Override
  protected Peer peer(Server server) throws IOException {
    Client c = client(server);
    return new Peer() {
      @Override
      public void send(String message) throws IOException {
        c.send(message.getBytes(UTF_8));
      }

      @Override
      public String receive() throws IOException {
        return text(c.receive(WAIT));
      }

      @Override
      public void finish() {
        // a datagram is a whole request: nothing to end
      }

      @Override
      public void assertEndedByServer() {
        // no connection to see ended: the report and the handler's failure show the cut
      }

      @Override
      public void close() throws IOException {
        c.close();
      }
    };
  }

  @Override
  protected String read(Datagram request) {
    return text(request);
  }

  @Override
  protected Server serverOf(Datagram request) {
    return request.server();
  }

  @Override
  protected void reply(Datagram request, String message) throws IOException {
    request.reply(message.getBytes(UTF_8));
  }

  /**
   * Waits for the interrupt that stops the request (a datagram has nothing more to read), then
   * replies, which fails with an {@code IOException}: a stopped request can no longer reply.
   */
  @Override
  protected void blockInIo(Datagram request) throws IOException {
    try {
      new CountDownLatch(1).await();
    } catch (InterruptedException stopped) {
      request.reply("too late".getBytes(UTF_8));
    }
  }

  private Server serve(DatagramServerBuilder<?> builder) throws IOException {
    return builder.build().start();
  }

  private static String text(Datagram d) {
    return new String(d.bytes(), UTF_8);
  }

  private static String exchange(Client c, String message) throws IOException {
    c.send(message.getBytes(UTF_8));
    return text(c.receive(WAIT));
  }

  // ---- CPython scenarios ----

  @ParameterizedTest
  @MethodSource("dev.socketserver.api.testing.ServerContract#policies")
  void echoesOneDatagramPerClientForThreeClientsInTurn(Concurrency policy) throws Exception {
    try (Server server = serve(newBuilder().concurrency(policy).handler(ECHO))) {
      for (int i = 0; i < 3; i++) {
        try (Client c = client(server)) {
          assertEquals("hello " + i, exchange(c, "hello " + i));
        }
      }
    }
  }

  @Test
  void localAddressIsTheBoundSocketsAddressAndRepliesComeFromIt() throws Exception {
    AtomicReference<SocketAddress> seen = new AtomicReference<>();
    try (Server server = serve(newBuilder().handler(d -> {
      seen.set(d.localAddress());
      ECHO.handle(d);
    }))) {
      try (Client c = client(server)) {
        c.send("where".getBytes(UTF_8));
        Datagram reply = c.receive(WAIT);
        assertEquals(server.localAddress(), reply.sender());
        assertEquals("where", text(reply));
      }
      assertEquals(server.localAddress(), seen.get());
    }
  }

  @Test
  void handleRequestServesExactlyOneDatagram() throws Exception {
    try (Server server = newBuilder().concurrency(Concurrency.sequential()).handler(ECHO).build();
        Client c = client(server)) {
      c.send("one".getBytes(UTF_8));
      c.send("two".getBytes(UTF_8));
      assertTrue(server.handleRequest(WAIT));
      assertEquals("one", text(c.receive(WAIT)));
      assertEquals(1, server.metrics().accepted());
      assertTrue(server.handleRequest(WAIT));
      assertEquals("two", text(c.receive(WAIT)));
    }
  }

  // ---- sizes ----

  @Test
  void payloadsOfEverySizeUpToTheMaximumEchoIntact() throws Exception {
    Random random = new Random(42);
    try (Server server = serve(newBuilder().handler(ECHO)); Client c = client(server)) {
      for (int size : new int[] {0, 1, 1472, 8192, 8193, 65_507, maxPayload()}) {
        if (size > maxPayload()) {
          continue;
        }
        byte[] data = new byte[size];
        random.nextBytes(data);
        c.send(data);
        Datagram reply = c.receive(WAIT);
        assertEquals(size, reply.length(), "size " + size);
        assertArrayEquals(data, reply.bytes(), "size " + size);
      }
    }
  }

  @Test
  void aDatagramOverTheMaximumIsReportedNotCutAndTheNextIsServed() throws Exception {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch reported = new CountDownLatch(1);
    List<Integer> handled = new CopyOnWriteArrayList<>();
    try (Server server = serve(newBuilder()
        .maxDatagramSize(100)
        .errorHandler((d, e) -> {
          failure.set(e);
          reported.countDown();
        })
        .handler(d -> {
          handled.add(d.length());
          ECHO.handle(d);
        }));
        Client c = client(server)) {
      c.send(new byte[101]);
      assertTrue(reported.await(10, TimeUnit.SECONDS));
      FrameTooLongException e = assertInstanceOf(FrameTooLongException.class, failure.get());
      assertEquals(100, e.limit());
      assertTrue(e.getMessage().contains("100"), e.getMessage());
      byte[] exactly = new byte[100];
      exactly[99] = 7;
      c.send(exactly);
      Datagram reply = c.receive(WAIT); // the first reply: nothing was sent for the long one
      assertArrayEquals(exactly, reply.bytes());
      assertEquals(List.of(100), handled); // the long one never reached the handler
      Await.until("counters settle", WAIT, () -> server.metrics().active() == 0);
      ServerMetrics m = server.metrics();
      assertEquals(2, m.accepted());
      assertEquals(1, m.failed());
      assertEquals(1, m.completed());
      assertEquals(1, m.replies());
    }
  }

  // ---- many clients ----

  @Test
  void sixtyFourClientsTimesAThousandDatagramsAllGetTheirOwnReplies() throws Exception {
    int clients = 64;
    int perClient = 1000;
    int window = 4; // datagrams in flight per client: far below what the socket buffers hold
    try (Server server = serve(newBuilder().receiveBufferSize(4 << 20).handler(ECHO));
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<Integer>> losses = new ArrayList<>();
      for (int id = 0; id < clients; id++) {
        int clientId = id;
        losses.add(pool.submit(() -> converse(server, clientId, perClient, window)));
      }
      int lost = 0;
      for (Future<Integer> f : losses) {
        lost += f.get();
      }
      assertEquals(0, lost, "datagrams lost on loopback");
      Await.until("counters settle", WAIT, () -> server.metrics().completed() == (long) clients * perClient);
      assertEquals((long) clients * perClient, server.metrics().replies());
    }
  }

  /** Sends {@code count} numbered datagrams with {@code window} in flight; returns how many got no reply. */
  private int converse(Server server, int id, int count, int window) throws IOException {
    try (Client c = client(server)) {
      Map<Integer, byte[]> outstanding = new HashMap<>();
      int next = 0;
      int lost = 0;
      while (next < count || !outstanding.isEmpty()) {
        while (next < count && outstanding.size() < window) {
          byte[] msg = ByteBuffer.allocate(24).putInt(id).putInt(next).putLong(~(long) id * next).array();
          outstanding.put(next++, msg);
          c.send(msg);
        }
        Datagram reply;
        try {
          reply = c.receive(Duration.ofSeconds(5));
        } catch (SocketTimeoutException e) {
          lost += outstanding.size();
          outstanding.clear();
          continue;
        }
        ByteBuffer b = reply.payload();
        assertEquals(id, b.getInt(0), "a reply reached the wrong client");
        byte[] sent = outstanding.remove(b.getInt(4));
        assertArrayEquals(sent, reply.bytes(), "reply to " + id + "/" + b.getInt(4));
      }
      return lost;
    }
  }

  // ---- errors ----

  @ParameterizedTest
  @MethodSource("dev.socketserver.api.testing.ServerContract#policies")
  void aThrowingHandlerSendsNoReplyIsReportedAndTheNextDatagramIsServed(Concurrency policy)
      throws Exception {
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    CountDownLatch reported = new CountDownLatch(1);
    try (Server server = serve(newBuilder()
        .concurrency(policy)
        .errorHandler((d, e) -> {
          errors.add(e);
          reported.countDown();
        })
        .handler(d -> {
          if ("boom".equals(text(d))) {
            throw new IllegalStateException("boom");
          }
          ECHO.handle(d);
        }));
        Client c = client(server)) {
      c.send("boom".getBytes(UTF_8));
      assertTrue(reported.await(10, TimeUnit.SECONDS));
      Await.until("the failed request is done", WAIT, () -> server.metrics().active() == 0);
      assertEquals("fine", exchange(c, "fine")); // the first datagram back: none for "boom"
      assertEquals(1, errors.size());
      assertEquals("boom", errors.get(0).getMessage());
      Await.until("counters settle", WAIT, () -> server.metrics().completed() == 1);
      ServerMetrics m = server.metrics();
      assertEquals(2, m.accepted());
      assertEquals(1, m.failed());
      assertEquals(1, m.replies());
    }
  }

  @Test
  void aRejectedDatagramIsNeverHandledNorAnswered() throws Exception {
    AtomicInteger handled = new AtomicInteger();
    try (Server server = serve(newBuilder()
        .filter(d -> !"no".equals(text(d)))
        .handler(d -> {
          handled.incrementAndGet();
          ECHO.handle(d);
        }));
        Client c = client(server)) {
      c.send("no".getBytes(UTF_8));
      assertEquals("yes", exchange(c, "yes")); // the first datagram back
      // The filter runs on the request's own thread: "no"'s may still be to run when "yes" is
      // answered (seen with several lanes on a busy machine). Once it has run, "no" is counted as
      // rejected and was never handled.
      Await.until("the rejection is counted", WAIT, () -> server.metrics().rejected() == 1);
      assertEquals(1, handled.get());
      assertEquals(1, server.metrics().rejected());
    }
  }

  // ---- lifecycle ----

  @Test
  void shutdownWakesABlockedReceiveAtOnce() throws Exception {
    Server server = newBuilder().handler(ECHO).build();
    CompletableFuture<Void> serving = CompletableFuture.runAsync(server::serveForever);
    try (Client c = client(server)) {
      assertEquals("up", exchange(c, "up")); // the loop is up and waiting again
    }
    server.shutdown();
    serving.get(10, TimeUnit.SECONDS);
    server.close();
    assertEquals(Server.State.TERMINATED, server.state());
  }

  @Test
  void shutdownLetsInFlightHandlersFinishAndReply() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (Server server = serve(newBuilder().handler(d -> {
      inHandler.countDown();
      release.await();
      ECHO.handle(d);
    }));
        Client c = client(server)) {
      c.send("late".getBytes(UTF_8));
      inHandler.await();
      server.shutdown();
      release.countDown();
      assertEquals("late", text(c.receive(WAIT)));
      assertTrue(server.awaitTermination(WAIT));
    }
  }

  @Test
  void aHandlerWokenByShutdownNowCannotReply() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(1);
    CompletableFuture<String> replied = new CompletableFuture<>();
    Server server = serve(newBuilder().handler(d -> {
      inHandler.countDown();
      try {
        new CountDownLatch(1).await(); // blocks for ever unless interrupted
      } catch (InterruptedException e) {
        try {
          d.reply("too late".getBytes(UTF_8)); // the server stopped this request: must fail
          replied.complete("sent");
        } catch (IOException refused) {
          replied.complete(String.valueOf(refused.getMessage()));
        }
      }
    }));
    try (Client c = client(server)) {
      c.send("stuck".getBytes(UTF_8));
      inHandler.await();
      server.shutdownNow();
      assertTrue(server.awaitTermination(WAIT));
      String outcome = replied.get(10, TimeUnit.SECONDS);
      assertTrue(outcome.contains("stopped"), outcome);
      assertEquals(0, server.metrics().replies());
    }
  }

  // ---- limits ----

  @Test
  void limitNeverLetsMoreThanNHandlersRunAtOnce() throws Exception {
    for (int limit : new int[] {1, 2, 4}) {
      checkLimit(limit, 10);
    }
  }

  private void checkLimit(int limit, int datagrams) throws Exception {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger max = new AtomicInteger();
    Semaphore release = new Semaphore(0);
    try (Server server = serve(newBuilder()
        .concurrency(Concurrency.virtualThreads().limit(limit))
        .handler(d -> {
          max.accumulateAndGet(running.incrementAndGet(), Math::max);
          release.acquire();
          running.decrementAndGet();
          ECHO.handle(d);
        }));
        Client c = client(server)) {
      for (int i = 0; i < datagrams; i++) {
        c.send(new byte[] {(byte) i});
      }
      for (int left = datagrams; left > 0; left--) {
        int expected = Math.min(limit, left);
        Await.until(expected + " handlers running", Duration.ofSeconds(20), () -> running.get() == expected);
        assertTrue(running.get() <= limit, "running " + running.get() + " > limit " + limit);
        release.release();
      }
      List<Integer> got = new ArrayList<>();
      for (int i = 0; i < datagrams; i++) {
        got.add((int) c.receive(WAIT).bytes()[0]);
      }
      got.sort(null);
      assertEquals(IntStream.range(0, datagrams).boxed().toList(), got);
      assertEquals(Math.min(limit, datagrams), max.get());
    }
  }

  // ---- data and metrics ----

  @Test
  void thePayloadIsTheHandlersOwnAndReadOnly() throws Exception {
    CompletableFuture<ByteBuffer> kept = new CompletableFuture<>();
    CountDownLatch second = new CountDownLatch(1);
    try (Server server = serve(newBuilder().concurrency(Concurrency.sequential()).handler(d -> {
      if (!kept.isDone()) {
        assertTrue(d.payload().isReadOnly());
        kept.complete(d.payload());
      } else {
        second.countDown();
      }
      d.reply(new byte[0]);
    }));
        Client c = client(server)) {
      c.send("first".getBytes(UTF_8));
      c.receive(WAIT);
      c.send("SECOND".getBytes(UTF_8));
      c.receive(WAIT);
      assertTrue(second.await(10, TimeUnit.SECONDS));
      ByteBuffer first = kept.get();
      byte[] b = new byte[first.remaining()];
      first.get(b);
      assertEquals("first", new String(b, UTF_8)); // not overwritten by the next datagram
    }
  }

  @Test
  void metricsCountDatagramsRepliesAndBytes() throws Exception {
    try (Server server = serve(newBuilder().handler(d -> {
      ECHO.handle(d);
      d.reply(new byte[1]); // two replies to each
    }));
        Client c = client(server)) {
      for (int i = 0; i < 3; i++) {
        c.send("abc".getBytes(UTF_8));
        c.receive(WAIT);
        c.receive(WAIT);
      }
      Await.until("3 completed", WAIT, () -> server.metrics().completed() == 3);
      ServerMetrics m = server.metrics();
      assertEquals(3, m.accepted());
      assertEquals(0, m.active());
      assertEquals(0, m.failed());
      assertEquals(9, m.bytesRead());
      assertEquals(12, m.bytesWritten());
      assertEquals(6, m.replies());
    }
  }
}
