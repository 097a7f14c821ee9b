package dev.socketserver.udp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Datagram;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.testing.Await;
import dev.socketserver.api.testing.Leaks;
import dev.socketserver.api.testing.PacedHandler;
import dev.socketserver.api.testing.Soak;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How a UDP server survives a flood and random client faults: it stays responsive, every
 * datagram is either received or counted as a kernel drop, well-behaved clients get exactly
 * their bytes back, and nothing leaks. What the datagram contract proves (over-long datagrams,
 * throwing handlers, shutdown) is not repeated; RELIABILITY.md maps each fault to its test.
 */
@Timeout(120)
class UdpReliabilityTest {
  private static final InetAddress V4 = InetAddress.ofLiteral("127.0.0.1");
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final RequestHandler<Datagram> ECHO = d -> d.reply(d.payload());

  private static InetSocketAddress address(UdpServer server) {
    return server.localAddress();
  }

  private static UdpClient client() throws IOException {
    return UdpClient.open(new InetSocketAddress(V4, 0));
  }

  /** The leak baseline once the JVM's UDP side is warm (classes loaded, a first server gone). */
  private static Leaks.Snapshot baseline() throws Exception {
    return Leaks.baselineAfter(() -> {
      try (UdpServer warm = UdpServer.builder().bind("127.0.0.1", 0).handler(ECHO).build().start();
          UdpClient c = client()) {
        c.request(address(warm), new byte[1], WAIT);
      }
    }, WAIT);
  }

  @Test
  void aFloodWithASlowHandlerIsCountedAndAnotherClientIsStillAnswered() throws Exception {
    int flood = 20_000;
    Leaks.Snapshot before = baseline();
    long sent = 0;
    // The slow handler's pace: a few thousand datagrams a second.
    try (PacedHandler slow = new PacedHandler(4, 500);
        UdpServer server = UdpServer.builder().bind("127.0.0.1", 0)
            .concurrency(Concurrency.virtualThreads().limit(16))
            .handler(slow).build().start();
        UdpClient flooder = client();
        UdpClient probe = client()) {
      assumeTrue(server.kernelDrops().isPresent(), "this OS shows no per-socket drop count");
      byte[] junk = PacedHandler.flood(200);
      for (int i = 0; i < flood; i++) {
        flooder.send(address(server), junk);
      }
      sent += flood;
      long dropped = server.kernelDrops().orElseThrow();
      assertTrue(dropped > 0, "a flood into a slow server overflows its receive buffer");
      // Responsive: the probe is answered as soon as its datagram is not itself dropped.
      int attempts = 0;
      Datagram reply = null;
      while (reply == null) {
        assertTrue(++attempts <= 100, "the server never answered the probe");
        sent++;
        try {
          reply = probe.request(address(server), "probe".getBytes(UTF_8),
              Duration.ofMillis(200));
        } catch (SocketTimeoutException lost) {
          // its datagram fell into the full buffer too: UDP, so ask again
        }
      }
      assertEquals(ByteBuffer.wrap("probe".getBytes(UTF_8)), reply.payload());
      // Nothing vanishes unaccounted: every datagram sent was received or counted as dropped.
      long total = sent;
      Await.until("received + dropped == sent", WAIT,
          () -> server.metrics().accepted() + server.kernelDrops().orElseThrow() == total);
      Await.until("the flood's handlers finished", WAIT, () -> server.metrics().active() == 0);
      Leaks.awaitCollected("sampled handler threads", slow.sampledThreads(), WAIT);
    }
    before.awaitRestored(WAIT);
  }

  // ---- soak ----

  /**
   * Several clients, each picking its next session at random: well-behaved request/response
   * sessions (retrying what UDP loses) must get exactly their bytes back; faulty ones send an
   * over-long datagram, leave before the reply, or burst hundreds of datagrams and leave.
   */
  @Test
  @Timeout(3600) // bounded by -Dsoak.seconds: each client is waited for at most that plus a minute
  void aDatagramSoakWithRandomClientFaultsLosesNoByteOfWellBehavedClients() throws Exception {
    long seed = Soak.seed("UdpReliabilityTest.aDatagramSoak");
    Leaks.Snapshot before = baseline();
    Soak.Stats stats = new Soak.Stats();
    try (UdpServer server = UdpServer.builder().bind("127.0.0.1", 0)
            .maxDatagramSize(4096)
            .errorHandler((d, e) -> stats.serverFailures.incrementAndGet())
            .handler(ECHO).build().start()) {
      Soak.runClients(4, seed, random -> session(address(server), random, stats));
    }
    System.out.println("datagram soak: " + stats + " (seed " + seed + ")");
    stats.assertClean();
    before.awaitRestored(WAIT);
  }

  private static void session(InetSocketAddress server, Random random, Soak.Stats stats) throws IOException {
    stats.sessions.incrementAndGet();
    int kind = random.nextInt(10);
    try (UdpClient c = client()) {
      switch (kind) {
        case 7 -> { // over the server's maximum: reported there, never answered
          stats.faults.incrementAndGet();
          c.send(server, new byte[4097 + random.nextInt(4000)]);
        }
        case 8 -> { // leaves before the reply
          stats.faults.incrementAndGet();
          c.send(server, new byte[1 + random.nextInt(4096)]);
        }
        case 9 -> { // bursts without reading, then leaves
          stats.faults.incrementAndGet();
          for (int i = random.nextInt(300); i > 0; i--) {
            c.send(server, new byte[1 + random.nextInt(1000)]);
          }
        }
        default -> {
          for (int id = random.nextInt(10); id >= 0; id--) {
            byte[] request = new byte[8 + random.nextInt(4096 - 8 + 1)];
            random.nextBytes(request);
            ByteBuffer.wrap(request).putLong(id);
            exchange(c, server, request, stats);
          }
        }
      }
    }
  }

  /**
   * Sends {@code request} until its reply comes (UDP may lose either), skipping late replies to
   * this session's earlier requests, which carry another id.
   */
  private static void exchange(UdpClient c, InetSocketAddress server, byte[] request, Soak.Stats stats)
      throws IOException {
    long id = ByteBuffer.wrap(request).getLong();
    for (int attempt = 0; attempt < 10; attempt++) {
      if (attempt > 0) {
        stats.retries.incrementAndGet();
      }
      try {
        Datagram reply = c.request(server, request, Duration.ofMillis(500));
        while (reply.length() < 8 || reply.payload().getLong() != id) {
          reply = c.receive(Duration.ofMillis(500)); // a late reply to an earlier request
        }
        if (Arrays.equals(request, reply.bytes())) {
          stats.bytesChecked.addAndGet(request.length);
        } else {
          stats.problem(stats.mismatches, "sent " + request.length + " bytes, got " + reply.length());
        }
        return;
      } catch (SocketTimeoutException lost) {
        // the request or its reply was lost: ask again
      }
    }
    stats.problem(stats.failures, "request of " + request.length + " bytes unanswered 10 times");
  }
}
