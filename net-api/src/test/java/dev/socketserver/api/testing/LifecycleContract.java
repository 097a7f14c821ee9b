package dev.socketserver.api.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.DrainReport;
import dev.socketserver.api.Server;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lifecycle every {@link Server} goes through, whatever serves its requests: NEW → RUNNING →
 * SHUTTING_DOWN → TERMINATED through {@code start}, {@code serveForever}, {@code handleRequest},
 * {@code shutdown}, {@code drain}, {@code close} and {@code awaitTermination}, with no request
 * ever sent. {@link ServerContract} extends it for the servers of every transport (and for the
 * in-memory fake acceptor, which runs it in milliseconds); the supervisor of a {@code
 * processes(n)} server runs it as it is, since its requests are served in other processes.
 */
@Timeout(60)
public abstract class LifecycleContract {

  /**
   * Returns a new server, built and not yet serving, that runs {@code timeoutHook} when a
   * {@code handleRequest} finds no request in time.
   */
  protected abstract Server newServer(Runnable timeoutHook) throws IOException;

  /** How many servers {@link #serversShutDownWhileStartingAllReturnAndClose} builds at once. */
  protected int serversAtOnce() {
    return 20;
  }

  private static final Duration WAIT = Duration.ofSeconds(10);

  private Server newServer() throws IOException {
    return newServer(() -> {});
  }

  @Test
  void handleRequestRunsTheTimeoutHookWhenNoRequestComes() throws Exception {
    AtomicInteger timeouts = new AtomicInteger();
    try (Server server = newServer(timeouts::incrementAndGet)) {
      assertFalse(server.handleRequest(Duration.ofMillis(20)));
      assertEquals(1, timeouts.get());
      assertEquals(0, server.metrics().accepted());
      assertEquals(Server.State.RUNNING, server.state());
    }
  }

  @Test
  void handleRequestRefusesANegativeTimeout() throws Exception {
    try (Server server = newServer()) {
      assertThrows(IllegalArgumentException.class, () -> server.handleRequest(Duration.ofMillis(-1)));
    }
  }

  @Test
  void closeWithNoRequestEverServedTerminates() throws Exception {
    Server server = newServer();
    assertEquals(Server.State.NEW, server.state());
    server.close();
    assertEquals(Server.State.TERMINATED, server.state());
    server.close(); // idempotent
    assertFalse(server.handleRequest(Duration.ZERO));
    assertThrows(IllegalStateException.class, server::start);
    server.serveForever(); // returns at once
    assertTrue(server.awaitTermination(Duration.ZERO));
  }

  @Test
  void serversShutDownWhileStartingAllReturnAndClose() throws Exception {
    List<Server> servers = new ArrayList<>();
    for (int i = 0; i < serversAtOnce(); i++) {
      Server server = newServer();
      servers.add(server);
      server.start();
      server.shutdown(); // races with the serving thread's start
    }
    for (Server server : servers) {
      assertTrue(server.awaitTermination(Duration.ofSeconds(10)), server::toString);
      server.close();
      assertEquals(Server.State.TERMINATED, server.state());
    }
  }

  @Test
  void aServerIsServedByOneThreadAtATime() throws Exception {
    try (Server server = newServer()) {
      server.start();
      assertEquals(Server.State.RUNNING, server.state());
      assertThrows(IllegalStateException.class, server::start);
      assertThrows(IllegalStateException.class, server::serveForever);
      assertThrows(IllegalStateException.class, () -> server.handleRequest(Duration.ZERO));
      assertFalse(server.awaitTermination(Duration.ofMillis(10)), "a running server does not terminate");
    }
  }

  @Test
  void serveForeverReturnsOnceShutDownFromAnotherThread() throws Exception {
    Server server = newServer();
    CompletableFuture<Void> serving = CompletableFuture.runAsync(server::serveForever);
    Await.until("the server runs", WAIT, () -> server.state() == Server.State.RUNNING);
    server.shutdown();
    serving.get(10, TimeUnit.SECONDS);
    assertTrue(server.awaitTermination(WAIT));
    server.shutdown(); // idempotent
    assertEquals(Server.State.TERMINATED, server.state());
  }

  @Test
  void interruptingTheServingThreadShutsTheServerDown() throws Exception {
    Server server = newServer();
    Thread serving = Thread.ofPlatform().start(server::serveForever);
    try {
      Await.until("the server runs", WAIT, () -> server.state() == Server.State.RUNNING);
      serving.interrupt();
      serving.join(WAIT.toMillis());
      assertFalse(serving.isAlive());
      assertTrue(server.awaitTermination(WAIT), server::toString);
    } finally {
      server.close();
    }
  }

  @Test
  void shutdownBeforeServingGoesStraightToShuttingDownAndTerminates() throws Exception {
    Server server = newServer();
    server.shutdown();
    assertTrue(server.awaitTermination(WAIT), server::toString);
    assertFalse(server.handleRequest(Duration.ZERO));
    server.close();
  }

  @Test
  void drainWithNothingInFlightIsGraceful() throws Exception {
    Server server = newServer().start();
    DrainReport report = server.drain(WAIT);
    assertTrue(report.graceful(), report::toString);
    assertEquals(0, report.cut());
    assertTrue(report.terminated());
    assertEquals(Server.State.TERMINATED, server.state());
    server.close();
  }

  @Test
  void shutdownNowOfAnIdleServerTerminatesIt() throws Exception {
    Server server = newServer().start();
    server.shutdownNow();
    server.shutdownNow(); // idempotent
    assertTrue(server.awaitTermination(WAIT), server::toString);
    assertEquals(0, server.metrics().cut());
  }
}
