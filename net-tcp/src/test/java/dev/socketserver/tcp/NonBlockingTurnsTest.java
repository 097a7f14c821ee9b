package dev.socketserver.tcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Connection;
import dev.socketserver.api.Framing;
import dev.socketserver.api.Handlers;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.ServerMetrics;
import dev.socketserver.api.testing.Await;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.StandardSocketOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Handlers#nonBlocking}: every contract of {@link FramedTurnsTest} (inherited, run again
 * with this handler), and what is its own: later frames are answered on the poller's thread; what
 * could wait there (a client that does not read, a failure, the end) goes on a thread of its own,
 * so that the poller never stops serving its other connections.
 */
@Timeout(60)
class NonBlockingTurnsTest extends FramedTurnsTest {

  @Override
  RequestHandler<Connection> lines(int maxBytes, Handlers.LineHandler handler) {
    return Handlers.nonBlocking(Framing.lines(maxBytes), frame -> {
      String reply = handler.reply(new String(frame, UTF_8));
      return reply == null ? null : reply.getBytes(UTF_8);
    });
  }

  private static boolean isPoller(Thread t) {
    return t.getName().startsWith("socketserver-poller ");
  }

  private static void assertPoller(Thread t) {
    assertTrue(isPoller(t), "not a poller: " + t);
  }

  /**
   * Waits until the request that {@code answered} a frame waits for input with no thread of its
   * own: from then on, the poller answers its frames. The request's first turn runs on its own
   * thread, which may still be finishing (and then takes the next frame itself) when the client's
   * next frame arrives; it ends once the request waits. A turn on the poller always ends waiting.
   */
  static void settle(Thread answered) throws InterruptedException {
    if (!isPoller(answered)) {
      assertTrue(answered.join(WAIT), "the request's own thread did not end");
    }
  }

  /**
   * Replaces the inherited test, whose handler thread ends when the connection idles: here that
   * thread is the poller, which never ends. What holds is that one thread, the poller, answers
   * every frame that arrives after the first turn, and the request still ends as one.
   */
  @Override
  @Test
  void anIdleConnectionHoldsNoThreadAndTheNextFrameStartsOne() throws Exception {
    try (TcpServer server = serve(TcpServer.builder().pollers(1).handler(upper));
        Connection c = connect(server)) {
      send(c, "first\n");
      assertEquals("FIRST", c.readLine(64));
      settle(answeredBy.take()); // the poller, or the request's first thread
      for (int i = 0; i < 5; i++) {
        send(c, "m" + i + "\n");
        assertEquals("M" + i, c.readLine(64));
      }
      Thread poller = answeredBy.take();
      assertPoller(poller);
      for (int i = 1; i < 5; i++) {
        assertSame(poller, answeredBy.take(), "frame " + i + " was not answered by the poller");
      }
      assertEquals(1, server.metrics().active());

      endAndAssertCompleted(server, c);
    }
  }

  /**
   * Pollers that answer requests themselves run on platform threads, which wait for readiness in
   * the kernel; pollers that hand each connection to a thread of its own (a read timeout needs
   * one, as do a blocking handler and a policy other than virtual threads) stay virtual, so the
   * threads they wake run on their carrier.
   */
  @Test
  void pollersThatAnswerAreOnPlatformThreadsAndTheOthersOnVirtualOnes() throws Exception {
    try (TcpServer answering = serve(TcpServer.builder().pollers(2).handler(upper));
        TcpServer handingOff = serve(TcpServer.builder().pollers(2)
            .readTimeout(Duration.ofMinutes(1)).handler(upper));
        TcpServer onPlatformThreads = serve(TcpServer.builder().pollers(2)
            .concurrency(Concurrency.platformThreads()).handler(upper));
        TcpServer blocking = serve(TcpServer.builder().pollers(2).handler(Handlers.lines(64, l -> l)))) {
      assertEquals(2, platformPollers(answering));
      assertEquals(0, platformPollers(handingOff));
      assertEquals(0, platformPollers(onPlatformThreads));
      assertEquals(0, platformPollers(blocking));
      try (Connection c = connect(answering)) {
        send(c, "one\n");
        assertEquals("ONE", c.readLine(64));
        settle(answeredBy.take());
        send(c, "two\n");
        assertEquals("TWO", c.readLine(64));
        Thread poller = answeredBy.take();
        assertPoller(poller);
        assertFalse(poller.isVirtual(), "a poller answering on a virtual thread: " + poller);
      }
    }
  }

  /** The platform threads alive that are pollers of {@code server} (named for its address). */
  private static long platformPollers(TcpServer server) {
    String name = "socketserver-poller tcp " + server.localAddress();
    return Thread.getAllStackTraces().keySet().stream()
        .map(Thread::getName)
        .filter(n -> n.equals(name) || n.startsWith(name + " #"))
        .count();
  }

  /**
   * The inherited version joins the thread that answered, here the poller, which never ends; an
   * answer on the poller is what shows that no thread of the request's own is left.
   */
  @Override
  void awaitIdleWithNoThread(Connection c) throws Exception {
    send(c, "one\n");
    assertEquals("ONE", c.readLine(64));
    settle(answeredBy.take());
    send(c, "one\n");
    assertEquals("ONE", c.readLine(64));
    assertPoller(answeredBy.take());
  }

  /**
   * A client that sends and never reads fills the server's send buffer. On the poller thread a
   * write must not wait: the replies are kept aside and the connection goes on a thread of its
   * own, which waits for the client; every other connection of that (only) poller is answered
   * meanwhile, and once the client reads, every reply arrives, whole and in order.
   */
  @Test
  void aClientThatDoesNotReadHoldsUpNoOtherConnectionAndLosesNoReply() throws Exception {
    int lines = 40_000; // 40 MB each way: more than the send and receive buffers of both sides
    String filler = "x".repeat(1000);
    try (TcpServer server = serve(TcpServer.builder().pollers(1)
            .handler(lines(2000, line -> line.toUpperCase(Locale.ROOT))));
        Connection stalled = connect(server);
        Connection other = connect(server)) {
      stalled.readTimeout(WAIT);
      other.readTimeout(WAIT);
      Thread writer = Thread.ofVirtual().start(() -> {
        try {
          for (int i = 0; i < lines; i++) {
            stalled.output().write((i + filler + "\n").getBytes(UTF_8));
          }
          stalled.output().flush();
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      // The writer blocks once every buffer between it and the server's stalled reply is full.
      Await.until("the writer to block", WAIT, () -> writer.getState() == Thread.State.WAITING);

      for (int i = 0; i < 20; i++) {
        send(other, "other " + i + "\n");
        assertEquals("OTHER " + i, other.readLine(64), "the poller stopped serving");
      }
      assertTrue(writer.isAlive(), "the stalled client was never held up: nothing was tested");

      BufferedReader replies = new BufferedReader(new InputStreamReader(stalled.input(), UTF_8));
      String upperFiller = filler.toUpperCase(Locale.ROOT);
      for (int i = 0; i < lines; i++) {
        assertEquals(i + upperFiller, replies.readLine(), "reply " + i);
      }
      assertTrue(writer.join(WAIT));
      stalled.shutdownOutput();
      assertNull(replies.readLine());
      Await.until("the stalled request to complete", WAIT, () -> server.metrics().completed() == 1);
      assertEquals(0, server.metrics().failed());
    }
  }

  /**
   * With send and receive buffers of a few KiB, a client that writes a random batch of lines before
   * it reads makes the poller keep replies aside (or not, by chance of sizes); whichever, and however
   * the client then reads them (random read sizes), the replies are every line, once, whole, in
   * order: keeping aside never loses, duplicates or reorders a byte.
   */
  @Test
  void repliesKeptAsideForASlowReaderArriveExactlyOnceInOrder() throws Exception {
    try (TcpServer server = serve(TcpServer.builder().pollers(1)
        .filter(NonBlockingTurnsTest::smallSendBuffer)
        .handler(lines(4000, line -> line.toUpperCase(Locale.ROOT))))) {
      qt().withExamples(30)
          .forAll(lists().of(integers().between(0, 3000)).ofSizeBetween(1, 40),
              lists().of(integers().between(1, 5000)).ofSizeBetween(1, 10))
          .checkAssert((lineLengths, readSizes) -> {
            try {
              batchThenRead(server, lineLengths, readSizes);
            } catch (Exception e) {
              throw new AssertionError(e);
            }
          });
    }
  }

  /** Echoes each frame of {@code framing} with this class's handler, calling {@code each} first. */
  RequestHandler<Connection> echoChunks(Framing framing, Runnable each) {
    return Handlers.nonBlocking(framing, chunk -> {
      each.run();
      return chunk;
    });
  }

  /**
   * {@link Framing#chunks} makes a non-blocking handler a byte-stream echo (Netty's echo
   * handler): whatever the writes and reads, and with replies backing up behind a client that
   * reads late, every byte comes back once and in order, and the poller answers.
   */
  @Test
  void aByteStreamEchoedInChunksComesBackExactlyWhateverTheWritesAndReads() throws Exception {
    AtomicBoolean onPoller = new AtomicBoolean();
    try (TcpServer server = serve(TcpServer.builder().pollers(1)
        .filter(NonBlockingTurnsTest::smallSendBuffer)
        .handler(echoChunks(Framing.chunks(1024), () -> {
          if (isPoller(Thread.currentThread())) {
            onPoller.set(true);
          }
        })))) {
      qt().withExamples(20)
          .forAll(integers().between(0, 60_000),
              lists().of(integers().between(1, 5000)).ofSizeBetween(1, 10),
              lists().of(integers().between(1, 5000)).ofSizeBetween(1, 10))
          .checkAssert((length, writeSizes, readSizes) -> {
            byte[] stream = new byte[length];
            new Random(length).nextBytes(stream);
            try {
              writeThenRead(server, stream, writeSizes, stream, readSizes);
            } catch (Exception e) {
              throw new AssertionError(e);
            }
          });
      assertTrue(onPoller.get(), "no chunk was answered on the poller");
    }
  }

  /** A filter that gives the server's side of each connection a 4 KiB send buffer, so replies back up soon. */
  static boolean smallSendBuffer(Connection c) {
    try {
      c.option(StandardSocketOptions.SO_SNDBUF, 4096);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return true;
  }

  private static void batchThenRead(TcpServer server, List<Integer> lineLengths, List<Integer> readSizes)
      throws Exception {
    ByteArrayOutputStream sent = new ByteArrayOutputStream();
    for (int i = 0; i < lineLengths.size(); i++) {
      sent.write((i + "x".repeat(lineLengths.get(i)) + "\n").getBytes(UTF_8));
    }
    byte[] request = sent.toByteArray();
    byte[] expected = new String(request, UTF_8).toUpperCase(Locale.ROOT).getBytes(UTF_8);
    writeThenRead(server, request, List.of(request.length), expected, readSizes);
  }

  /**
   * Sends {@code request} in writes of {@code writeSizes} (in turn), reading nothing until the
   * writer is done or blocked, so the server's replies back up (a small receive buffer); then
   * reads in reads of {@code readSizes} (in turn) and checks the replies are {@code expected}.
   */
  static void writeThenRead(TcpServer server, byte[] request, List<Integer> writeSizes,
      byte[] expected, List<Integer> readSizes) throws Exception {
    try (Connection c = connect(server)) {
      c.option(StandardSocketOptions.SO_RCVBUF, 4096);
      c.readTimeout(WAIT);
      Thread writer = Thread.ofVirtual().start(() -> {
        try {
          for (int at = 0, i = 0; at < request.length; i++) {
            int n = Math.min(writeSizes.get(i % writeSizes.size()), request.length - at);
            c.output().write(request, at, n);
            c.output().flush();
            at += n;
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      // Read only once the writer is done or stuck: the server's replies back up meanwhile.
      Await.until("the writer to finish or block", WAIT,
          () -> !writer.isAlive() || writer.getState() == Thread.State.WAITING);
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[10_000];
      for (int i = 0; got.size() < expected.length; i++) {
        int n = c.input().read(buf, 0, readSizes.get(i % readSizes.size()));
        assertTrue(n > 0, "end of stream after " + got.size() + " of " + expected.length + " bytes");
        got.write(buf, 0, n);
      }
      assertTrue(writer.join(WAIT));
      assertArrayEquals(expected, got.toByteArray());
    }
  }

  @Test
  void aFailureOnThePollerIsReportedOnTheRequestsOwnThread() throws Exception {
    AtomicReference<Thread> reportedOn = new AtomicReference<>();
    AtomicReference<Throwable> error = new AtomicReference<>();
    try (TcpServer server = serve(TcpServer.builder().pollers(1)
        .handler(lines(64, line -> {
          answeredBy.add(Thread.currentThread());
          if (line.equals("boom")) {
            throw new IllegalStateException("boom");
          }
          return line;
        }))
        .errorHandler((Connection c, Throwable t) -> {
          reportedOn.set(Thread.currentThread());
          error.set(t);
        }));
        Connection c = connect(server)) {
      send(c, "one\n");
      assertEquals("one", c.readLine(64));
      settle(answeredBy.take());
      send(c, "boom\n");
      assertNull(c.readLine(64));
      Await.until("the request to fail", WAIT, () -> server.metrics().failed() == 1);
      Thread poller = answeredBy.take();
      assertPoller(poller);
      assertEquals("boom", error.get().getMessage());
      assertNotEquals(poller, reportedOn.get(), "the error handler ran on the poller");
      assertTrue(reportedOn.get().isVirtual());
    }
  }

  /** The other connections of the poller keep being served while one ends or fails. */
  @Test
  void connectionsEndingAndFailingOnOnePollerLeaveTheOthersServed() throws Exception {
    try (TcpServer server = serve(TcpServer.builder().pollers(1)
        .handler(lines(64, line -> {
          if (line.startsWith("boom")) {
            throw new IllegalStateException(line);
          }
          return line.toUpperCase(Locale.ROOT);
        }))
        .errorHandler((Connection c, Throwable t) -> {}))) {
      List<CompletableFuture<Void>> clients = new ArrayList<>();
      for (int k = 0; k < 50; k++) {
        int id = k;
        clients.add(CompletableFuture.runAsync(() -> {
          try (Connection c = connect(server)) {
            for (int i = 0; i < 50; i++) {
              send(c, "c" + id + "m" + i + "\n");
              assertEquals("C" + id + "M" + i, c.readLine(64));
            }
            if (id % 2 == 0) {
              send(c, "boom " + id + "\n");
              assertNull(c.readLine(64));
            }
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        }, Thread::startVirtualThread));
      }
      CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get();
      Await.until("all 50 requests to end", WAIT,
          () -> server.metrics().completed() + server.metrics().failed() == 50);
      ServerMetrics m = server.metrics();
      assertEquals(25, m.failed());
      assertEquals(25, m.completed());
      assertFalse(m.active() > 0);
    }
  }
}
