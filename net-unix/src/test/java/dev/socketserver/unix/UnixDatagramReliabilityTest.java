package dev.socketserver.unix;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Datagram;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.Server;
import dev.socketserver.api.testing.Await;
import dev.socketserver.api.testing.Leaks;
import dev.socketserver.api.testing.PacedHandler;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a Unix datagram server survives a flood. Unlike UDP, the kernel never drops an AF_UNIX
 * datagram: a sender whose receiver's queue is full gets {@code EAGAIN} (or blocks), so the
 * invariant is that nothing is lost silently. Every datagram is either received or refused to
 * its sender, loudly, and likewise every reply the server sends. RELIABILITY.md maps each fault
 * to its test.
 */
@Timeout(60)
class UnixDatagramReliabilityTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final RequestHandler<Datagram> ECHO = d -> d.reply(d.payload());

  @TempDir Path dir;

  private static Path path(UnixDatagramServer server) {
    return server.path();
  }

  /** The leak baseline once the JVM's native side is warm (libc linked, a first server gone). */
  private Leaks.Snapshot baseline() throws Exception {
    return Leaks.baselineAfter(() -> {
      try (UnixDatagramServer warm = UnixDatagramServer.builder().bind(dir.resolve("warm.sock")).handler(ECHO).build().start();
          UnixDatagramClient c = UnixClient.datagram(path(warm))) {
        c.send(new byte[1]);
        c.receive(WAIT);
      }
    }, WAIT);
  }

  /**
   * A sender that never waits floods a slow handler: the server's queue fills and the kernel
   * refuses the excess to the sender ({@code EAGAIN}, a {@link SocketTimeoutException} from a
   * send that may not wait) instead of dropping it. The server receives exactly what the kernel
   * took, and a second client's single request is answered without a retry.
   */
  @Test
  void aFloodIntoASlowHandlerIsPushedBackToTheSenderAndLosesNothing() throws Exception {
    int flood = 20_000;
    Leaks.Snapshot before = baseline();
    // The slow handler's pace: a few thousand datagrams a second.
    try (PacedHandler slow = new PacedHandler(4, 100);
        UnixDatagramServer server = UnixDatagramServer.builder().bind(dir.resolve("flood.sock"))
            .concurrency(Concurrency.virtualThreads().limit(16))
            .handler(slow).build().start();
        NativeDatagramSocket flooder = NativeDatagramSocket.open(); // unbound: it wants no reply
        UnixDatagramClient probe = UnixClient.datagram(path(server))) {
      byte[] to = NativeDatagramSocket.sockaddr(server.localAddress());
      byte[] junk = PacedHandler.flood(200);
      long taken = 0;
      long refused = 0;
      for (int i = 0; i < flood; i++) {
        try {
          flooder.send(ByteBuffer.wrap(junk), to, "flood", Duration.ZERO); // never waits
          taken++;
        } catch (SocketTimeoutException full) {
          refused++; // the sender knows: nothing vanished
        }
      }
      assertTrue(refused > 0, "a flood into a slow server fills its queue and is pushed back");
      // Responsive, and no datagram is dropped: one request, one reply, no retry.
      probe.send("probe".getBytes(UTF_8));
      assertArrayEquals("probe".getBytes(UTF_8), probe.receive(WAIT).bytes());
      // Nothing vanishes: the server receives and handles exactly what the kernel took.
      long total = taken + 1;
      Await.until("received == taken", WAIT, () -> server.metrics().accepted() == total);
      Await.until("the flood's handlers finished", WAIT, () -> server.metrics().active() == 0);
      assertEquals(total, server.metrics().accepted());
      assertEquals(total, slow.handled());
      assertEquals(total, server.metrics().completed());
      Leaks.awaitCollected("sampled handler threads", slow.sampledThreads(), WAIT);
    }
    before.awaitRestored(WAIT);
  }

  /**
   * The other direction: a client sends many requests and never reads its replies. Its queue
   * fills, so the server's replies wait; each gives up after the reply timeout with a
   * {@link SocketTimeoutException} reported to the error handler, freeing its slot. Every reply
   * is either in the client's queue or reported as failed, never both; once the client has read
   * what it got, another client is answered. (Not meanwhile: the kernel charges unread
   * datagrams to the sender's send buffer, so where the queue limit is large, a deaf client can
   * fill the server's send buffer and hold every reply up to the reply timeout; RELIABILITY.md
   * lists it under Gaps.)
   */
  @Test
  void aClientThatNeverReadsItsRepliesHoldsHandlersOnlyForTheReplyTimeout() throws Exception {
    int requests = maxQueuedDatagrams() + 20; // more than the client's queue takes, whatever the sysctl
    Leaks.Snapshot before = baseline();
    Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    Set<Integer> unanswered = ConcurrentHashMap.newKeySet();
    try (UnixDatagramServer server = UnixDatagramServer.builder().bind(dir.resolve("deaf.sock"))
            .concurrency(Concurrency.virtualThreads().limit(16))
            .replyTimeout(Duration.ofMillis(50))
            .errorHandler((d, e) -> {
              failures.add(e);
              unanswered.add(d.payload().getInt(0));
            })
            .handler(ECHO).build().start();
        UnixDatagramClient deaf = UnixClient.datagram(path(server));
        UnixDatagramClient other = UnixClient.datagram(path(server))) {
      for (int i = 0; i < requests; i++) {
        deaf.send(ByteBuffer.allocate(4).putInt(0, i));
      }
      Await.until("every request handled", WAIT,
          () -> server.metrics().completed() + server.metrics().failed() == requests);
      long failed = server.metrics().failed();
      assertTrue(failed > 0, "the deaf client's queue filled, so some replies timed out");
      assertEquals(failed, failures.size());
      failures.forEach(e -> assertInstanceOf(SocketTimeoutException.class, e));
      // Each request's reply is in the client's queue or was reported as failed: never both, never neither.
      Set<Integer> answered = new HashSet<>();
      for (long i = requests - failed; i > 0; i--) {
        int id = deaf.receive(WAIT).payload().getInt();
        assertTrue(answered.add(id) && !unanswered.contains(id), () -> "reply " + id + " twice");
      }
      answered.addAll(unanswered);
      assertEquals(IntStream.range(0, requests).boxed().collect(Collectors.toSet()), answered);
      // Every reply was sent or failed before the count above was reached: nothing else is queued.
      assertThrows(SocketTimeoutException.class, () -> deaf.receive(Duration.ofMillis(1)));
      other.send("after".getBytes(UTF_8));
      assertArrayEquals("after".getBytes(UTF_8), other.receive(WAIT).bytes());
      assertEquals(Server.State.RUNNING, server.state());
    }
    before.awaitRestored(WAIT);
  }

  /** The kernel's limit on a Unix datagram socket's receive queue ({@code net.unix.max_dgram_qlen}). */
  private static int maxQueuedDatagrams() throws IOException {
    return Integer.parseInt(Files.readString(Path.of("/proc/sys/net/unix/max_dgram_qlen")).strip());
  }
}
