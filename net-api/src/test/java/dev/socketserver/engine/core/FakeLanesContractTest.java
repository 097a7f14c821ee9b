package dev.socketserver.engine.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Server;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The server contract again, over an acceptor with three lanes (as a UDP server with three
 * SO_REUSEPORT sockets has): a thread per lane accepts while {@code serveForever} runs, and the
 * lifecycle, drain, shutdown and limit must hold as with one.
 */
class FakeLanesContractTest extends FakeServerContractTest {
  private static final int LANES = 3;

  @Override
  protected int lanes() {
    return LANES;
  }

  @Test
  @Timeout(30)
  void theLimitHoldsAcrossLanesAcceptingAtOnce() throws Exception {
    int limit = 2;
    int clients = 12;
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    Semaphore release = new Semaphore(0);
    AtomicInteger served = new AtomicInteger();
    try (Server server = new FakeServerBuilder(LANES)
        .concurrency(Concurrency.virtualThreads().limit(limit))
        .handler(r -> {
          most.accumulateAndGet(running.incrementAndGet(), Math::max);
          try {
            release.acquire();
          } finally {
            running.decrementAndGet();
            served.incrementAndGet();
          }
        })
        .build()) {
      server.start();
      FakeAcceptor acceptor = FakeServerBuilder.acceptorOf(server);
      List<FakeAcceptor.Request> requests = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        requests.add(acceptor.connect()); // every lane has requests waiting
      }
      for (int i = 0; i < clients; i++) {
        int full = Math.min(limit, clients - i);
        dev.socketserver.api.testing.Await.until(full + " handlers running", java.time.Duration.ofSeconds(10),
            () -> running.get() == full);
        release.release(); // one ends: every lane holding a request wakes to the free slot
      }
      dev.socketserver.api.testing.Await.until("all served", java.time.Duration.ofSeconds(10),
          () -> served.get() == clients);
      assertEquals(limit, most.get(), "never more than the limit at once, over " + LANES + " lanes");
      assertTrue(server.metrics().limitWaits() > 0);
      server.shutdown();
      assertTrue(server.awaitTermination(java.time.Duration.ofSeconds(10)));
    }
  }

  @Test
  @Timeout(60)
  void quickRequestsOnEveryLaneNeverOvershootALimitOfOne() throws Exception {
    int clients = 3000;
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    AtomicInteger served = new AtomicInteger();
    try (Server server = new FakeServerBuilder(LANES)
        .concurrency(Concurrency.virtualThreads().limit(1))
        .handler(r -> {
          most.accumulateAndGet(running.incrementAndGet(), Math::max);
          Thread.onSpinWait();
          running.decrementAndGet();
          served.incrementAndGet();
        })
        .build()) {
      server.start();
      FakeAcceptor acceptor = FakeServerBuilder.acceptorOf(server);
      for (int i = 0; i < clients; i++) {
        acceptor.connect();
      }
      dev.socketserver.api.testing.Await.until("all served", java.time.Duration.ofSeconds(30),
          () -> served.get() == clients);
      assertEquals(1, most.get(), "a limit of one over " + LANES + " lanes");
    }
  }
}
