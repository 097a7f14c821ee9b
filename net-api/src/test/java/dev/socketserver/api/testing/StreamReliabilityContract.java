package dev.socketserver.api.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Connection;
import dev.socketserver.api.FrameTooLongException;
import dev.socketserver.api.Framing;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.Server;
import dev.socketserver.api.StreamServerBuilder;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.net.ConnectException;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How every stream server (TCP, Unix stream, TLS) survives abuse: client faults, floods, bad
 * input, misbehaving handlers and shutdown under load, losing no accepted byte and leaking no
 * descriptor, thread or connection. What {@link StreamServerContract} and {@link ServerContract}
 * already prove (half-close, a client leaving mid-reply, an over-long line, a throwing handler,
 * force-close after the drain deadline) is not repeated here; RELIABILITY.md maps each fault to
 * its test.
 *
 * <p>It extends {@link StreamServerContract}: a transport's contract test extends this class and
 * runs both.
 */
@Timeout(120)
public abstract class StreamReliabilityContract extends StreamServerContract {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Framing FRAMES = Framing.lengthField(4, 1024);

  /** Whether {@code e}, thrown by {@link #connect}, is the server refusing the connection. */
  protected abstract boolean isRefusal(IOException e);

  /**
   * How many connections the flood opens: {@code -Dflood.connections}, 20 000 by default. A
   * transport whose connections cost much more (a TLS handshake each) may open fewer.
   */
  protected int floodConnections() {
    return Integer.getInteger("flood.connections", 20_000);
  }

  /**
   * What a server connection of this transport charges to the inbound budget for its whole life,
   * beyond its read buffer and partial frames: 0, or TLS's record buffers.
   */
  protected long inboundBytesPerConnection() {
    return 0;
  }

  /** Whether {@link #reset} makes the server see a reset; Unix-domain sockets have none. */
  protected boolean canReset() {
    return true;
  }

  /**
   * Closes {@code c} abortively, so the server sees a reset rather than an end of stream; by
   * default with {@code SO_LINGER} 0. Where the transport has no reset, it just closes.
   */
  protected void reset(Connection c) throws IOException {
    c.option(StandardSocketOptions.SO_LINGER, 0);
    c.close();
  }

  /**
   * Connects, sends {@code request} and resets (see {@link #reset}) without waiting for the
   * server to accept: a client that gives up while it waits in the kernel's backlog. By default
   * {@link #connect}, write, reset; a transport whose {@code connect} needs the server (a TLS
   * handshake, which waits for the concurrency limit) sends its opening bytes and resets instead.
   */
  protected void connectSendAndReset(Server server, byte[] request) throws IOException {
    Connection c = connect(server);
    c.output().write(request);
    c.output().flush();
    reset(c);
  }

  /**
   * Whether {@code e}, thrown by {@link #connect}, is a connection that was still in the
   * server's backlog when it stopped listening, so the kernel cut it. A plain client mostly sees
   * the cut on its first read, but sees it here, as a reset, when it comes before its connect
   * call has returned (the kernel completed the handshake, then reset the queued connection); a
   * TLS client sees it in its handshake.
   */
  protected boolean isCutInBacklog(IOException e) {
    return e instanceof SocketException
        && !(e instanceof ConnectException)
        && String.valueOf(e.getMessage()).startsWith("Connection reset");
  }

  private static final RequestHandler<Connection> FRAME_ECHO =
      c -> {
        for (byte[] frame; (frame = c.readFrame(FRAMES)) != null; ) {
          c.writeFrame(FRAMES, frame);
        }
      };

  /**
   * Takes the leak baseline once this JVM's client side is warm: a first connection starts the
   * shared client poller, which lives as long as the JVM.
   */
  private Leaks.Snapshot baseline() throws IOException {
    try (Server warm = serve(newBuilder().handler(LINE_ECHO))) {
      try (Connection c = connect(warm)) {
        assertEquals("warm", exchange(c, "warm"));
      }
    }
    Leaks.Snapshot before = Leaks.snapshot();
    before.awaitRestored(WAIT); // the warm-up server's own descriptors and threads are gone
    return before;
  }

  /** Reads until the server closes the connection: end of stream or a reset, never a hang. */
  private static void awaitClosedByServer(Connection c) {
    try {
      while (c.input().read() >= 0) {
        // what the server sent before it closed
      }
    } catch (IOException reset) {
      // closed too
    }
  }

  // ---- client faults ----

  /**
   * The server resets a connection mid-conversation: the client's read says so, and closing the
   * client afterwards drops what it had buffered instead of failing again ("Broken pipe"), so a
   * try-with-resources around the exchange ends with the read's error alone.
   */
  @Test
  void aClientClosingAfterTheServerResetItDoesNotThrow() throws Exception {
    assumeTrue(canReset(), "no resets on this transport: an abrupt close is an end of stream");
    Leaks.Snapshot before = baseline();
    try (Server server = serve(newBuilder().handler(c -> {
      if ("reset me".equals(c.readLine(100))) {
        reset(c);
      } else {
        LINE_ECHO.handle(c);
      }
    }))) {
      Connection victim = connect(server);
      victim.output().write("reset me\n".getBytes(UTF_8));
      victim.output().flush();
      assertThrows(SocketException.class, () -> victim.input().read());
      victim.output().write("unsendable\n".getBytes(UTF_8));
      victim.close();
      try (Connection good = connect(server)) {
        good.output().write("first\n".getBytes(UTF_8)); // the line the handler reads itself
        assertEquals("after", exchange(good, "after"));
      }
    }
    before.awaitRestored(WAIT);
  }

  @Test
  void aClientResetMidRequestFailsOnlyItsOwnRequest() throws Exception {
    assumeTrue(canReset(), "no resets on this transport: an abrupt close is an end of stream");
    Leaks.Snapshot before = baseline();
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    CountDownLatch midRequest = new CountDownLatch(1);
    try (Server server = serve(newBuilder()
        .errorHandler((c, e) -> failure.complete(e))
        .handler(c -> {
          // The first byte tells the bad client's request: once it is read, the server is inside
          // that request (a byte counter would not do: over TLS it counts the handshake too).
          int first = c.input().read();
          if (first == 'h') {
            midRequest.countDown();
          }
          c.output().write(((char) first + c.readLine(100) + "\n").getBytes(UTF_8));
          LINE_ECHO.handle(c);
        }));
        Connection good = connect(server)) {
      assertEquals("before", exchange(good, "before"));
      Connection bad = connect(server);
      bad.output().write("half a li".getBytes(UTF_8));
      bad.output().flush();
      midRequest.await();
      reset(bad);
      Throwable e = failure.get(20, TimeUnit.SECONDS);
      assertInstanceOf(IOException.class, e);
      assertFalse(e instanceof SocketTimeoutException, e::toString);
      assertEquals("after", exchange(good, "after"));
      // Counted once its error handler has returned, which may be a moment after it completed
      // the future above; the request is done (out of active) only after it is counted.
      Await.until("the bad request to be done", WAIT, () -> server.metrics().active() == 1);
      assertEquals(1, server.metrics().failed());
    }
    before.awaitRestored(WAIT);
  }

  @Test
  void clientsThatResetWhileWaitingInTheBacklogDoNotStopTheServer() throws Exception {
    Leaks.Snapshot before = baseline();
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    AtomicInteger handlers = new AtomicInteger();
    try (Server server = serve(newBuilder()
        .concurrency(Concurrency.virtualThreads().limit(1))
        .errorHandler((c, e) -> failures.add(e))
        .handler(c -> {
          if (handlers.incrementAndGet() == 1) {
            holding.countDown();
            release.await();
          }
          LINE_ECHO.handle(c);
        }))) {
      Connection holder = connect(server);
      holding.await(); // the only slot is taken: the others queue in the kernel's backlog
      for (int i = 0; i < 50; i++) {
        connectSendAndReset(server, "never answered\n".getBytes(UTF_8));
      }
      release.countDown();
      assertEquals("held", exchange(holder, "held"));
      holder.close();
      try (Connection c = connect(server)) {
        assertEquals("served", exchange(c, "served"));
      }
      for (Throwable e : failures) {
        assertInstanceOf(IOException.class, e); // each reset fails its own request, nothing else
      }
    }
    before.awaitRestored(WAIT);
  }

  @Test
  void aSlowReaderHitsTheWriteTimeoutWhileOthersAreServed() throws Exception {
    Leaks.Snapshot before = baseline();
    CountDownLatch writing = new CountDownLatch(1);
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    try (Server server = serve(newBuilder()
        .writeTimeout(Duration.ofMillis(300))
        .errorHandler((c, e) -> failure.complete(e))
        .handler(c -> {
          String first = c.readLine(100);
          if ("flood".equals(first)) {
            writing.countDown();
            byte[] chunk = new byte[65536];
            while (true) {
              c.output().write(chunk); // until the write timeout: the client reads nothing
            }
          }
          c.output().write((first + "\n").getBytes(UTF_8));
          LINE_ECHO.handle(c);
        }))) {
      try (Connection slow = connect(server); Connection good = connect(server)) {
        slow.output().write("flood\n".getBytes(UTF_8));
        slow.output().flush();
        writing.await();
        for (int i = 0; i < 20; i++) {
          assertEquals("fine " + i, exchange(good, "fine " + i));
        }
        assertInstanceOf(SocketTimeoutException.class, failure.get(20, TimeUnit.SECONDS));
        awaitClosedByServer(slow);
        assertEquals("still", exchange(good, "still"));
      }
    }
    before.awaitRestored(WAIT);
  }

  @Test
  void aSlowlorisClientIsClosedByTheReadTimeoutWhileOthersAreServed() throws Exception {
    Leaks.Snapshot before = baseline();
    Map<SocketAddress, Throwable> failures = new ConcurrentHashMap<>();
    AtomicBoolean slowClosed = new AtomicBoolean();
    try (Server server = serve(newBuilder()
        .readTimeout(Duration.ofMillis(300))
        .errorHandler((c, e) -> failures.put(c.remoteAddress(), e))
        .handler(LINE_ECHO));
        ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        Connection slow = connect(server);
        Connection good = connect(server)) {
      // The slow client's behaviour: one byte of a line that never ends, every second.
      trickle.scheduleAtFixedRate(() -> sendOneByte(slow), 0, 1, TimeUnit.SECONDS);
      // A client that keeps talking is never idle for a read timeout: it is served throughout.
      CompletableFuture<Integer> exchanges = talkUntil(slowClosed, good);
      awaitClosedByServer(slow);
      slowClosed.set(true);
      assertTrue(exchanges.get(20, TimeUnit.SECONDS) > 0);
      trickle.shutdownNow();
      assertEquals(Set.of(slow.localAddress()), failures.keySet());
      assertInstanceOf(SocketTimeoutException.class, failures.get(slow.localAddress()));
    }
    before.awaitRestored(WAIT);
  }

  @Test
  void slowlorisClientsHoldingEverySlotAreClosedAndTheWaitingClientIsServed() throws Exception {
    Leaks.Snapshot before = baseline();
    CountDownLatch bothIn = new CountDownLatch(2);
    Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    try (Server server = serve(newBuilder()
        .concurrency(Concurrency.virtualThreads().limit(2))
        .readTimeout(Duration.ofMillis(300))
        .errorHandler((c, e) -> failures.add(e))
        .handler(c -> {
          bothIn.countDown();
          LINE_ECHO.handle(c);
        }));
        ScheduledExecutorService trickle = Executors.newScheduledThreadPool(1);
        Connection slow1 = connect(server);
        Connection slow2 = connect(server)) {
      for (Connection slow : List.of(slow1, slow2)) {
        trickle.scheduleAtFixedRate(() -> sendOneByte(slow), 0, 1, TimeUnit.SECONDS);
      }
      bothIn.await(); // both slots are held by slow clients
      try (Connection waiting = connect(server)) { // queued in the backlog
        assertEquals("served", exchange(waiting, "served"));
      }
      awaitClosedByServer(slow1);
      awaitClosedByServer(slow2);
      trickle.shutdownNow();
      assertEquals(2, failures.size());
      failures.forEach(e -> assertInstanceOf(SocketTimeoutException.class, e));
    }
    before.awaitRestored(WAIT);
  }

  @Test
  void aSilentClientIsClosedByTheIdleTimeoutWhileOthersAreServed() throws Exception {
    Leaks.Snapshot before = baseline();
    Map<SocketAddress, Throwable> failures = new ConcurrentHashMap<>();
    AtomicBoolean silentClosed = new AtomicBoolean();
    try (Server server = serve(newBuilder()
        .idleTimeout(Duration.ofMillis(300))
        .errorHandler((c, e) -> failures.put(c.remoteAddress(), e))
        .handler(LINE_ECHO));
        Connection silent = connect(server);
        Connection good = connect(server)) {
      CompletableFuture<Integer> exchanges = talkUntil(silentClosed, good);
      awaitClosedByServer(silent); // it never sent a byte, and no read timeout is set
      silentClosed.set(true);
      assertTrue(exchanges.get(20, TimeUnit.SECONDS) > 0);
      // The sweep closes the connection first; its handler's read then fails and reports it.
      Await.until("the silent client's failure reported", WAIT, () -> !failures.isEmpty());
      assertEquals(Set.of(silent.localAddress()), failures.keySet());
      assertInstanceOf(IOException.class, failures.get(silent.localAddress()));
      assertEquals(1, server.metrics().idleTimeouts());
    }
    before.awaitRestored(WAIT);
  }

  /**
   * A trickle just faster than the read timeout and the idle timeout defeats both: each read
   * gets its byte in time, and bytes do move. The maximum connection lifetime ends it.
   */
  @Test
  void aTrickleFasterThanEveryTimeoutIsClosedByTheMaximumLifetime() throws Exception {
    Leaks.Snapshot before = baseline();
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    try (Server server = serve(newBuilder()
        .readTimeout(Duration.ofSeconds(2))
        .idleTimeout(Duration.ofSeconds(2))
        .maxConnectionLifetime(Duration.ofMillis(800))
        .errorHandler((c, e) -> failure.complete(e))
        .handler(LINE_ECHO));
        ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        Connection slow = connect(server)) {
      trickle.scheduleAtFixedRate(() -> sendOneByte(slow), 0, 100, TimeUnit.MILLISECONDS);
      awaitClosedByServer(slow);
      trickle.shutdownNow();
      assertInstanceOf(IOException.class, failure.get(20, TimeUnit.SECONDS));
      assertEquals(1, server.metrics().lifetimeExpirations());
      assertEquals(0, server.metrics().readTimeouts());
      assertEquals(0, server.metrics().idleTimeouts());
      try (Connection c = connect(server)) {
        assertEquals("served", exchange(c, "served"));
      }
    }
    before.awaitRestored(WAIT);
  }

  /** Exchanges lines on {@code c} until {@code stop} is set; returns how many. */
  private static CompletableFuture<Integer> talkUntil(AtomicBoolean stop, Connection c) {
    return CompletableFuture.supplyAsync(() -> {
      int n = 0;
      try {
        while (!stop.get()) {
          assertEquals("fine " + n, exchange(c, "fine " + n));
          n++;
        }
      } catch (IOException e) {
        throw new AssertionError("a well-behaved client was cut", e);
      }
      return n;
    });
  }

  private static void sendOneByte(Connection c) {
    try {
      c.output().write('z');
      c.output().flush();
    } catch (IOException closed) {
      // the server closed it: the client's writes start failing, as they should
    }
  }

  // ---- bad input ----

  @Test
  void anOversizedFrameClosesOnlyItsConnection() throws Exception {
    Leaks.Snapshot before = baseline();
    Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    try (Server server = serve(newBuilder().errorHandler((c, e) -> failures.add(e)).handler(FRAME_ECHO));
        ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> good = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Random random = new Random(i);
        good.add(clients.submit(() -> {
          try (Connection c = connect(server)) {
            for (int n = 0; n < 200; n++) {
              byte[] frame = new byte[random.nextInt(FRAMES.maxFrame() + 1)];
              random.nextBytes(frame);
              c.writeFrame(FRAMES, frame);
              assertArrayEquals(frame, c.readFrame(FRAMES));
            }
          }
          return null;
        }));
      }
      for (int i = 0; i < 3; i++) {
        try (Connection bad = connect(server)) {
          bad.output().write(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2, 3});
          bad.output().flush();
          awaitClosedByServer(bad);
        }
      }
      for (Future<?> f : good) {
        f.get();
      }
      Await.until("three failures reported", WAIT, () -> failures.size() == 3);
      for (Throwable e : failures) {
        assertEquals(FRAMES.maxFrame(), assertInstanceOf(FrameTooLongException.class, e).limit());
      }
    }
    before.awaitRestored(WAIT);
  }

  /**
   * Partial frames and unread input are charged to the server-wide inbound budget as their bytes
   * arrive: peers that announce frames and send a byte hold next to nothing and are served when
   * they finish; peers whose partial frames together pass the budget are closed as they ask for
   * more, each counted; every other connection is served throughout, and a closed connection's
   * bytes go back to the budget.
   */
  @Test
  void partialFramesPastTheInboundBudgetCloseTheConnectionsAskingWhileOthersAreServed()
      throws Exception {
    Leaks.Snapshot before = baseline();
    // Partial frames may take three quarters of the budget: 256 KiB here, beside the fixed cost
    // of the 24 connections below.
    long budget = (256 * 1024 + 24 * inboundBytesPerConnection()) * 4 / 3;
    Framing big = Framing.lengthField(4, 1 << 20);
    Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    try (Server server = serve(newBuilder()
        .inboundBudget(budget)
        .errorHandler((c, e) -> failures.add(e))
        .handler(c -> {
          for (byte[] frame; (frame = c.readFrame(big)) != null; ) {
            c.writeFrame(big, frame);
          }
        }));
        Connection good = connect(server)) {
      byte[] small = "small".getBytes(UTF_8);
      List<Connection> announcers = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        Connection a = connect(server);
        a.output().write(new byte[] {0, 0, 0x03, (byte) 0xe8, 'x'}); // 1000 bytes announced, 1 sent
        a.output().flush();
        announcers.add(a);
      }
      List<Connection> fillers = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Connection f = connect(server);
        fillers.add(f);
        try {
          f.output().write(new byte[] {0, 0x0f, 0, 0}); // 983 040 bytes announced
          f.output().write(new byte[100 * 1024]); // 3 x 100 KiB together pass 256 KiB
          f.output().flush();
        } catch (IOException closedForTheBudget) {
          // the server closed it while it was still sending: no room for its frame
        }
        good.writeFrame(big, small);
        assertArrayEquals(small, good.readFrame(big));
      }
      Await.until("a budget hit", WAIT, () -> server.metrics().inboundBudgetHits() > 0);
      for (Connection f : fillers) {
        f.close();
      }
      Await.until("fillers gone", WAIT, () -> server.metrics().active() == 1 + announcers.size());
      byte[] large = new byte[200 * 1024]; // fits once the fillers' bytes are released
      new Random(7).nextBytes(large);
      good.writeFrame(big, large);
      assertArrayEquals(large, good.readFrame(big));
      for (Connection a : announcers) {
        a.output().write(new byte[999]);
        a.output().flush();
        byte[] echoed = a.readFrame(big);
        assertEquals(1000, echoed == null ? -1 : echoed.length);
        a.close();
      }
      long hits = server.metrics().inboundBudgetHits();
      Await.until("every hit reported", WAIT, () -> failures.size() >= hits);
      for (Throwable e : failures) {
        if (String.valueOf(e.getMessage()).contains("budget")) {
          assertTrue(e.getMessage().contains("budget of " + budget + " bytes"), e::getMessage);
        }
      }
      assertTrue(hits >= 1 && hits <= 3, "hits: " + hits);
    }
    before.awaitRestored(WAIT);
  }

  /**
   * Unread input counts against the inbound budget too: read buffers held for handlers that do
   * not read are charged, the connection whose bytes find no room is closed and counted, and once
   * the handlers read, the budget has room again.
   */
  @Test
  void unreadInputPastTheInboundBudgetClosesTheConnectionThatFindsNoRoom() throws Exception {
    Leaks.Snapshot before = baseline();
    CountDownLatch read = new CountDownLatch(1);
    try (Server server = serve(newBuilder()
        .inboundBudget(4 * (16 * 1024 + inboundBytesPerConnection())) // four holders' worth
        .readBufferSize(16 * 1024)
        .handler(c -> {
          read.await();
          LINE_ECHO.handle(c);
        }))) {
      // Holders send a line their handler does not read yet, until one finds no room.
      List<Connection> holders = new ArrayList<>();
      int closed = 0;
      while (server.metrics().inboundBudgetHits() == 0 && holders.size() + closed < 64) {
        try {
          Connection h = connect(server);
          holders.add(h);
          h.output().write("held\n".getBytes(UTF_8));
          h.output().flush();
        } catch (IOException refusedInItsHandshake) {
          closed++; // a TLS connection's record buffers found no room
        }
      }
      read.countDown();
      // A holder sent after the first hit may find room once others' input is read, and then a
      // later line of another may not: whichever connection finds no room is the one closed.
      for (Connection h : holders) {
        try {
          String first = h.readLine(100);
          String again = first == null ? null : exchange(h, "again");
          if (again == null) {
            closed++;
          } else {
            assertEquals("held", first);
            assertEquals("again", again);
          }
        } catch (IOException closedForTheBudget) {
          closed++;
        }
        h.close();
      }
      long hits = server.metrics().inboundBudgetHits();
      assertTrue(hits >= 1, "hits: " + hits);
      assertEquals(hits, closed, "each connection closed for the budget is one hit");
      assertTrue(holders.size() >= 4, "four holders fit: " + holders.size());
      Await.until("every holder gone", WAIT, () -> server.metrics().active() == 0);
      try (Connection c = connect(server)) {
        assertEquals("room again", exchange(c, "room again"));
      }
      assertEquals(hits, server.metrics().inboundBudgetHits());
    }
    before.awaitRestored(WAIT);
  }

  // ---- handlers that misbehave ----

  /** What a handler does wrong when its client sends "misbehave". */
  enum Misbehaviour {
    THROWS_A_RUNTIME_EXCEPTION,
    THROWS_AN_ERROR,
    THROWS_AN_IO_EXCEPTION,
    CLOSES_THE_CONNECTION_ITSELF,
    WRITES_AFTER_CLOSING,
    HALF_CLOSES_AND_RETURNS,
    RETURNS_WITHOUT_READING,
    LEAVES_ITS_INTERRUPT_STATUS_SET;

    void act(Connection c) throws Exception {
      switch (this) {
        case THROWS_A_RUNTIME_EXCEPTION -> throw new IllegalStateException("bad handler");
        case THROWS_AN_ERROR -> throw new StackOverflowError("bad handler");
        case THROWS_AN_IO_EXCEPTION -> throw new IOException("bad handler");
        case CLOSES_THE_CONNECTION_ITSELF -> c.close();
        case WRITES_AFTER_CLOSING -> {
          c.close();
          c.output().write("too late\n".getBytes(UTF_8));
          c.output().flush();
        }
        case HALF_CLOSES_AND_RETURNS -> c.shutdownOutput();
        case RETURNS_WITHOUT_READING -> {}
        case LEAVES_ITS_INTERRUPT_STATUS_SET -> Thread.currentThread().interrupt();
      }
    }
  }

  /** Every policy with every misbehaviour, except the one {@code underSequential...} pins. */
  static Stream<Arguments> misbehaviours() {
    return ServerContract.policies()
        .flatMap(p -> Stream.of(Misbehaviour.values()).map(m -> Arguments.of(p, m)))
        .filter(a -> !(a.get()[0].equals(Concurrency.sequential())
            && a.get()[1] == Misbehaviour.LEAVES_ITS_INTERRUPT_STATUS_SET));
  }

  @ParameterizedTest
  @MethodSource("misbehaviours")
  void aMisbehavingHandlerFailsOnlyItsOwnRequest(Concurrency policy, Misbehaviour misbehaviour)
      throws Exception {
    try (Server server = serve(newBuilder()
        .concurrency(policy)
        .errorHandler((c, e) -> {})
        .handler(c -> {
          String first = c.readLine(100);
          if ("misbehave".equals(first)) {
            misbehaviour.act(c);
            return;
          }
          c.output().write((first + "\n").getBytes(UTF_8));
          LINE_ECHO.handle(c);
        }))) {
      try (Connection bad = connect(server)) {
        bad.output().write("misbehave\nand more\n".getBytes(UTF_8));
        bad.output().flush();
        awaitClosedByServer(bad);
      }
      for (int i = 0; i < 3; i++) {
        try (Connection c = connect(server)) {
          assertEquals("next " + i, exchange(c, "next " + i));
        }
      }
      assertEquals(Server.State.RUNNING, server.state());
    }
  }

  /**
   * Under {@link Concurrency#sequential()} the handler runs on the serving thread, so an interrupt
   * status it leaves set cannot be told from someone interrupting the serving thread, which shuts
   * the server down ({@link StreamServerContract}'s
   * {@code interruptingTheServingThreadShutsTheServerDown}): the request is still served and
   * closed, and the server terminates cleanly rather than carrying on.
   */
  @Test
  void underSequentialAHandlerLeavingItsInterruptStatusSetShutsTheServerDown() throws Exception {
    Server server = serve(newBuilder()
        .concurrency(Concurrency.sequential())
        .handler(c -> {
          LINE_ECHO.handle(c);
          Thread.currentThread().interrupt();
        }));
    try (Connection c = connect(server)) {
      assertEquals("served", exchange(c, "served"));
    }
    assertTrue(server.awaitTermination(WAIT));
    server.close();
  }

  @Test
  void aHandlerStuckForeverHoldsOnlyItsSlotAndCloseStopsItAfterTheDrainDeadline() throws Exception {
    Leaks.Snapshot before = baseline();
    CountDownLatch stuck = new CountDownLatch(1);
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    Server server = serve(newBuilder()
        .concurrency(Concurrency.virtualThreads().limit(2))
        .drainTimeout(Duration.ofMillis(200))
        .errorHandler((c, e) -> failure.complete(e))
        .handler(c -> {
          String first = c.readLine(100);
          if ("stuck".equals(first)) {
            stuck.countDown();
            new CountDownLatch(1).await(); // never counted down: only an interrupt ends it
          }
          c.output().write((first + "\n").getBytes(UTF_8));
        }));
    try (Connection victim = connect(server)) {
      victim.output().write("stuck\n".getBytes(UTF_8));
      victim.output().flush();
      stuck.await();
      for (int i = 0; i < 10; i++) { // one after another through the one free slot
        try (Connection c = connect(server)) {
          assertEquals("free " + i, exchange(c, "free " + i));
        }
      }
      server.close();
      assertEquals(Server.State.TERMINATED, server.state());
      assertInstanceOf(InterruptedException.class, failure.get(20, TimeUnit.SECONDS));
      awaitClosedByServer(victim);
    }
    before.awaitRestored(WAIT);
  }

  // ---- graceful shutdown ----

  static Stream<Concurrency> shutdownPolicies() {
    return Stream.of(Concurrency.virtualThreads(), Concurrency.pool(2));
  }

  /**
   * Several clients each open connections in turn and exchange numbered requests on each; at
   * some point the server shuts down. Every connection the server accepted gets every reply;
   * a connection still in the kernel's backlog at that moment is cut before its first reply
   * (the server never saw it); later connects are refused, not left hanging.
   */
  @ParameterizedTest
  @MethodSource("shutdownPolicies")
  void shutdownUnderLoadLosesNoAcceptedRequestAndRefusesLaterClients(Concurrency policy)
      throws Exception {
    Leaks.Snapshot before = baseline();
    int clients = 4;
    int requestsPerConnection = 20;
    AtomicInteger handled = new AtomicInteger();
    AtomicInteger completed = new AtomicInteger();
    AtomicInteger cutInBacklog = new AtomicInteger();
    AtomicLong replies = new AtomicLong();
    Server server = serve(newBuilder().concurrency(policy).handler(c -> {
      handled.incrementAndGet();
      LINE_ECHO.handle(c);
    }));
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<IOException>> refusals = new ArrayList<>();
      for (int id = 0; id < clients; id++) {
        int client = id;
        refusals.add(pool.submit(() -> {
          for (int conn = 0; ; conn++) {
            Connection c;
            try {
              c = connect(server);
            } catch (IOException e) {
              if (isCutInBacklog(e)) {
                cutInBacklog.incrementAndGet(); // never accepted: the listener closed under it
                continue;
              }
              return e; // how this client learns the server is gone
            }
            try (c) {
              if (converse(c, client + "/" + conn + "/", requestsPerConnection, replies)) {
                completed.incrementAndGet();
              } else {
                cutInBacklog.incrementAndGet(); // never accepted: the listener closed under it
              }
            }
          }
        }));
      }
      Await.until("steady load", WAIT, () -> replies.get() >= 2000);
      server.shutdown();
      for (Future<IOException> refusal : refusals) {
        IOException e = refusal.get(60, TimeUnit.SECONDS);
        assertTrue(isRefusal(e), () -> "refused, not " + e);
      }
      assertTrue(server.awaitTermination(WAIT));
    } finally {
      server.close();
    }
    long accepted = server.metrics().accepted();
    assertEquals(accepted, handled.get());
    assertEquals(0, server.metrics().failed());
    assertEquals(accepted * requestsPerConnection, replies.get(), "every accepted request answered");
    assertEquals(accepted, completed.get(), "every accepted connection fully served");
    assertTrue(completed.get() > 0 && cutInBacklog.get() <= clients, cutInBacklog + " cut");
    before.awaitRestored(WAIT);
  }

  /**
   * Exchanges {@code requests} numbered lines on {@code c}: true once all came back, false if the
   * connection was cut before the first reply. A reply that is wrong or missing after the first
   * fails the test: that request was accepted and lost.
   */
  private static boolean converse(Connection c, String prefix, int requests, AtomicLong replies) {
    for (int seq = 0; seq < requests; seq++) {
      String request = prefix + seq;
      String reply;
      try {
        reply = exchange(c, request);
      } catch (IOException e) {
        reply = null;
      }
      if (reply == null && seq == 0) {
        return false;
      }
      assertEquals(request, reply, "a request on an accepted connection lost its reply");
      replies.incrementAndGet();
    }
    return true;
  }

  // ---- floods ----

  @Test
  void twentyThousandConnectionsOpenedAndClosedLeakNothing() throws Exception {
    int connections = floodConnections() / 4 * 4;
    int clientThreads = 4;
    Leaks.Snapshot before = baseline();
    Queue<WeakReference<Object>> sampled = new ConcurrentLinkedQueue<>();
    AtomicInteger served = new AtomicInteger();
    try (Server server = serve(newBuilder().handler(c -> {
      if (served.incrementAndGet() % 1000 == 0) {
        sampled.add(new WeakReference<>(c));
        sampled.add(new WeakReference<>(Thread.currentThread()));
      }
      c.output().write('.');
    }))) {
      try (ExecutorService pool = Executors.newFixedThreadPool(clientThreads)) {
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < clientThreads; t++) {
          done.add(pool.submit(() -> {
            for (int i = 0; i < connections / clientThreads; i++) {
              try (Connection c = connect(server)) {
                assertEquals('.', c.input().read());
              }
            }
            return null;
          }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      }
      Await.until("every request completed", WAIT,
          () -> server.metrics().completed() == connections && server.metrics().active() == 0);
      assertEquals(0, server.metrics().failed());
      // A running server retains no past connection nor handler thread: memory does not grow
      // with the number of connections served.
      Leaks.awaitCollected("sampled connections and handler threads", List.copyOf(sampled), WAIT);
    }
    before.awaitRestored(WAIT);
  }

  @Test
  void anAcceptStormBeyondTheLimitIsServedWithinIt() throws Exception {
    int limit = 4;
    int clients = 400;
    Leaks.Snapshot before = baseline();
    AtomicInteger running = new AtomicInteger();
    AtomicInteger max = new AtomicInteger();
    Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    try (Server server = serve(newBuilder()
        .concurrency(Concurrency.virtualThreads().limit(limit))
        .errorHandler((c, e) -> failures.add(e))
        .handler(c -> {
          max.accumulateAndGet(running.incrementAndGet(), Math::max);
          try {
            LINE_ECHO.handle(c);
          } finally {
            running.decrementAndGet();
          }
        }));
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<String>> replies = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        String msg = "storm " + i;
        replies.add(pool.submit(() -> {
          go.await();
          try (Connection c = connect(server)) {
            return exchange(c, msg);
          }
        }));
      }
      go.countDown();
      for (int i = 0; i < clients; i++) {
        assertEquals("storm " + i, replies.get(i).get());
      }
      assertTrue(max.get() <= limit, "ran " + max.get() + " at once, limit " + limit);
      assertTrue(failures.isEmpty(), failures::toString);
      Await.until("all completed", WAIT, () -> server.metrics().completed() == clients);
      assertEquals(clients, server.metrics().accepted());
    }
    before.awaitRestored(WAIT);
  }

  // ---- soak ----

  /**
   * Mixed echo traffic (lines, length-prefixed frames) from several clients, each picking its
   * next session at random: well-behaved sessions must get every byte back exactly; faulty ones
   * (a reset mid-request, a client that leaves before its reply, one that does not read until it
   * has sent a megabyte) may be cut, but what they did receive is a prefix of what was sent.
   */
  @Test
  @Timeout(3600) // bounded by -Dsoak.seconds: each client is waited for at most that plus a minute
  void aSoakWithRandomClientFaultsLosesNoByteOfWellBehavedClients() throws Exception {
    long seed = Soak.seed(getClass().getSimpleName() + ".aSoakWithRandomClientFaults");
    Leaks.Snapshot before = baseline();
    Framing frames = Framing.lengthField(4, 1 << 16);
    Soak.Stats stats = new Soak.Stats();
    try (Server server = serve(newBuilder()
        .writeTimeout(Duration.ofMillis(500))
        .readTimeout(Duration.ofSeconds(5))
        .errorHandler((c, e) -> stats.serverFailures.incrementAndGet())
        .handler(c -> {
          switch (c.input().read()) {
            case 'L' -> LINE_ECHO.handle(c);
            case 'F' -> {
              for (byte[] frame; (frame = c.readFrame(frames)) != null; ) {
                c.writeFrame(frames, frame);
              }
            }
            default -> {}
          }
        }))) {
      Soak.runClients(6, seed, random -> soakSession(server, random, frames, stats));
    }
    System.out.println("soak: " + stats + " (seed " + seed + ")");
    stats.assertClean();
    before.awaitRestored(WAIT);
  }

  private void soakSession(Server server, Random random, Framing frames, Soak.Stats stats) {
    stats.sessions.incrementAndGet();
    int kind = random.nextInt(10);
    try (Connection c = connect(server)) {
      switch (kind) {
        case 0, 1, 2 -> { // well-behaved lines
          c.output().write('L');
          for (int n = random.nextInt(20) + 1; n > 0; n--) {
            String line = printable(random, random.nextInt(2000));
            String echoed = exchange(c, line);
            check(line, echoed, stats);
          }
        }
        case 3, 4, 5 -> { // well-behaved frames
          c.output().write('F');
          for (int n = random.nextInt(20) + 1; n > 0; n--) {
            byte[] frame = new byte[random.nextInt(8000)];
            random.nextBytes(frame);
            c.writeFrame(frames, frame);
            byte[] echoed = c.readFrame(frames);
            check(frame, echoed, stats);
          }
        }
        case 6, 7 -> { // reset mid-request
          stats.faults.incrementAndGet();
          c.output().write(("L" + printable(random, random.nextInt(500))).getBytes(UTF_8));
          c.output().flush();
          reset(c);
        }
        case 8 -> { // leaves before its reply
          stats.faults.incrementAndGet();
          c.output().write('F');
          c.writeFrame(frames, new byte[random.nextInt(60_000)]);
          c.output().flush();
        }
        default -> slowReader(c, random, stats);
      }
    } catch (IOException e) {
      if (kind <= 5) {
        stats.problem(stats.failures, "session " + kind + ": " + e);
      }
    }
  }

  /** Sends a megabyte of lines before reading any reply: its echoes can only be a prefix. */
  private static void slowReader(Connection c, Random random, Soak.Stats stats) throws IOException {
    stats.faults.incrementAndGet();
    List<String> sent = new ArrayList<>();
    try {
      c.output().write('L');
      for (int i = 0; i < 1000; i++) {
        String line = printable(random, 1000);
        c.output().write((line + "\n").getBytes(UTF_8));
        sent.add(line);
      }
      c.output().flush();
    } catch (IOException cut) {
      // the server's write timeout closed it
    }
    try {
      for (String line : sent) {
        String echoed = c.readLine(2000);
        if (echoed == null) {
          return;
        }
        check(line, echoed, stats);
      }
    } catch (IOException cut) {
      // closed under us: what came before was checked
    }
  }

  private static void check(String sent, @org.jspecify.annotations.Nullable String echoed, Soak.Stats stats) {
    if (!sent.equals(echoed)) {
      stats.problem(stats.mismatches, "sent " + sent.length() + " chars, got " + echoed);
    } else {
      stats.bytesChecked.addAndGet(sent.length());
    }
  }

  private static void check(byte[] sent, byte @org.jspecify.annotations.Nullable [] echoed, Soak.Stats stats) {
    if (echoed == null || !java.util.Arrays.equals(sent, echoed)) {
      stats.problem(stats.mismatches, "sent a frame of " + sent.length + " bytes, got "
          + (echoed == null ? "none" : echoed.length + " other bytes"));
    } else {
      stats.bytesChecked.addAndGet(sent.length);
    }
  }

  private static String printable(Random random, int length) {
    char[] chars = new char[length];
    for (int i = 0; i < length; i++) {
      chars[i] = (char) (' ' + random.nextInt(95));
    }
    return new String(chars);
  }
}
