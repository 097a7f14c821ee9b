package dev.socketserver.api.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.Server;
import dev.socketserver.api.ServerBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every server does, whatever its transport and request type, that needs no client: the
 * lifecycle from build to termination and the hooks. {@link StreamServerContract} and
 * {@link DatagramServerContract} extend it, so each transport runs it once.
 *
 * @param <R> the request type
 */
@Timeout(60)
public abstract class ServerContract<R> {

  /** Returns a builder bound to a fresh loopback address (port 0, or a new socket path). */
  protected abstract ServerBuilder<R, ?> newBuilder() throws IOException;

  /** The policies every scenario runs under. */
  protected static Stream<Concurrency> policies() {
    return Stream.of(
        Concurrency.sequential(),
        Concurrency.platformThreads(),
        Concurrency.virtualThreads(),
        Concurrency.pool(3),
        Concurrency.virtualThreads().limit(2));
  }

  /** Returns a handler that answers a request with what it received. */
  protected abstract RequestHandler<R> echoHandler();

  @Test
  void handleRequestRunsTheTimeoutHookWhenNoRequestComes() throws Exception {
    AtomicInteger timeouts = new AtomicInteger();
    try (Server server = newBuilder().handler(echoHandler()).onTimeout(timeouts::incrementAndGet).build()) {
      assertFalse(server.handleRequest(Duration.ofMillis(20)));
      assertEquals(1, timeouts.get());
      assertEquals(0, server.metrics().accepted());
    }
  }

  @Test
  void closeWithNoRequestEverServedTerminates() throws Exception {
    Server server = newBuilder().handler(echoHandler()).build();
    assertEquals(Server.State.NEW, server.state());
    server.close();
    assertEquals(Server.State.TERMINATED, server.state());
    server.close(); // idempotent
    assertFalse(server.handleRequest(Duration.ZERO));
    assertThrows(IllegalStateException.class, server::start);
  }

  @Test
  void serversShutDownWhileStartingAllReturnAndClose() throws Exception {
    List<Server> servers = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      Server server = newBuilder().handler(echoHandler()).build();
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
  void theServiceActionRunsWhileServing() throws Exception {
    CountDownLatch ran = new CountDownLatch(3);
    Server server =
        newBuilder().handler(echoHandler()).serviceAction(Duration.ofMillis(5), ran::countDown).build().start();
    try {
      assertTrue(ran.await(10, TimeUnit.SECONDS));
    } finally {
      server.close();
    }
  }

  @Test
  void aMissingHandlerFailsTheBuildWithAClearMessage() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> newBuilder().build());
    assertTrue(e.getMessage().contains("handler"), e.getMessage());
  }
}
