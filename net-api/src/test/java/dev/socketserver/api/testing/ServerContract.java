package dev.socketserver.api.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.DrainReport;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.Server;
import dev.socketserver.api.ServerBuilder;
import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every server does, whatever its transport and request type: the lifecycle from build to
 * termination ({@link LifecycleContract}; here shutdown, drain and close with requests in flight,
 * from outside a handler and from inside one) and the hooks. {@link StreamServerContract} and {@link DatagramServerContract} extend it and say how a
 * {@link Peer} talks to a server and how a handler reads and answers one request, so each
 * transport runs it once.
 *
 * @param <R> the request type
 */
@Timeout(60)
public abstract class ServerContract<R> extends LifecycleContract {

  /** Returns a builder bound to a fresh loopback address (port 0, or a new socket path). */
  protected abstract ServerBuilder<R, ?> newBuilder() throws IOException;

  /**
   * Returns a builder bound to {@code address}, where a server of this test was bound and has
   * been closed: the same port, or the same socket path.
   */
  protected abstract ServerBuilder<R, ?> newBuilder(SocketAddress address) throws IOException;

  /**
   * The executor of {@code Concurrency.executor(...)} in {@link #policies()}: the caller's, so no
   * server shuts it down; its idle daemon threads end by themselves.
   */
  private static final ExecutorService CALLERS_EXECUTOR =
      Executors.newCachedThreadPool(Thread.ofPlatform().daemon().name("callers-executor-", 0).factory());

  /** The policies every scenario runs under. */
  protected static Stream<Concurrency> policies() {
    return Stream.of(
        Concurrency.sequential(),
        Concurrency.platformThreads(),
        Concurrency.virtualThreads(),
        Concurrency.pool(3),
        Concurrency.virtualThreads().limit(2),
        Concurrency.executor(CALLERS_EXECUTOR).limit(3));
  }

  /**
   * Returns a handler that answers a request with what it received: a connection line by line
   * until its client ends the stream, a datagram once.
   */
  protected abstract RequestHandler<R> echoHandler();

  /** One client of a server under test: a connection, or a datagram socket of its own. */
  protected interface Peer extends AutoCloseable {
    /** Sends {@code message} as one request: a line on a connection, one datagram. */
    void send(String message) throws IOException;

    /**
     * Returns the next reply (a line, a datagram), or null if the server closed the connection.
     *
     * @throws java.net.SocketTimeoutException if a datagram client waited 10 s in vain (a
     *     connection waits for the test's {@code @Timeout})
     */
    @Nullable String receive() throws IOException;

    /**
     * Says this client is done, so a handler that reads until its client is done returns: a
     * connection shuts its output down; a datagram client has nothing to do.
     */
    void finish() throws IOException;

    /**
     * Asserts that the server ended this client's request: a connection reads end of stream. A
     * datagram client has no connection to see ended, so it asserts nothing.
     */
    void assertEndedByServer() throws IOException;

    /** Closes the client; a second close does nothing. */
    @Override
    void close() throws IOException;
  }

  /** Opens a client of {@code server}. */
  protected abstract Peer peer(Server server) throws IOException;

  /** Returns the message {@code request} brings: a connection's next line, a datagram's payload. */
  protected abstract String read(R request) throws IOException;

  /** Answers {@code request} with {@code message}: a line on the connection, a datagram to its sender. */
  protected abstract void reply(R request, String message) throws IOException;

  /** Returns the server {@code request} says it came to ({@code Connection.server()}, {@code Datagram.server()}). */
  protected abstract Server serverOf(R request);

  /**
   * Blocks in {@code request}'s own I/O until the server stops the request, then fails as that
   * I/O fails, with an {@link IOException}: a connection waits to read what its client never
   * sends, and the read fails once the server closes it; a datagram has nothing more to read, so
   * it waits for the server's interrupt and then replies, which fails as the request was stopped.
   */
  protected abstract void blockInIo(R request) throws Exception;

  private static final Duration WAIT = Duration.ofSeconds(10);

  @Override
  protected Server newServer(Runnable timeoutHook) throws IOException {
    return newBuilder().handler(echoHandler()).onTimeout(timeoutHook).build();
  }

  private Server serve(RequestHandler<R> handler) throws IOException {
    return newBuilder().handler(handler).build().start();
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

  /**
   * {@code Concurrency.executor(e)} runs each request with {@code e.execute}, and the executor
   * stays the caller's: the server's close leaves it running and usable.
   */
  @Test
  void anExecutorPolicyRunsEachRequestOnTheCallersExecutorAndNeverShutsItDown() throws Exception {
    ExecutorService executor =
        Executors.newFixedThreadPool(2, Thread.ofPlatform().name("the-callers-own-", 0).factory());
    try {
      AtomicReference<String> ranOn = new AtomicReference<>();
      RequestHandler<R> echo = echoHandler();
      Server server = newBuilder().concurrency(Concurrency.executor(executor)).handler(r -> {
        ranOn.set(Thread.currentThread().getName());
        echo.handle(r);
      }).build().start();
      try (Peer p = peer(server)) {
        p.send("hello");
        assertEquals("hello", p.receive());
        p.finish();
      } finally {
        server.close();
      }
      assertTrue(server.awaitTermination(WAIT));
      String thread = ranOn.get();
      assertNotNull(thread);
      assertTrue(thread.startsWith("the-callers-own-"), thread);
      assertFalse(executor.isShutdown(), "the server shut down the caller's executor");
      assertEquals("still mine", executor.submit(() -> "still mine").get(10, TimeUnit.SECONDS));
    } finally {
      executor.shutdownNow();
      assertTrue(executor.awaitTermination(10, TimeUnit.SECONDS));
    }
  }

  /** A request the caller's executor rejects fails and is counted; the next one is served. */
  @Test
  void aRequestTheCallersExecutorRejectsFailsAloneAndTheServerGoesOn() throws Exception {
    AtomicBoolean reject = new AtomicBoolean(true);
    Executor executor = task -> {
      if (reject.getAndSet(false)) {
        throw new RejectedExecutionException("full, as this test's executor says once");
      }
      CALLERS_EXECUTOR.execute(task);
    };
    try (Server server = newBuilder().concurrency(Concurrency.executor(executor)).handler(echoHandler()).build().start()) {
      try (Peer first = peer(server)) {
        first.send("lost"); // a datagram's request; a connection's was accepted and rejected already
      } catch (IOException closedByTheServer) {
        // the connection, rejected, may be closed before this send
      }
      Await.until("the rejected request to be counted as failed", WAIT, () -> server.metrics().failed() == 1);
      try (Peer second = peer(server)) {
        second.send("served");
        assertEquals("served", second.receive());
        second.finish();
      }
      assertEquals(1, server.metrics().failed());
    }
  }

  // ---- shutdown, drain and close ----

  @ParameterizedTest
  @MethodSource("policies")
  void shutdownAndCloseFromInsideAHandlerReturnUnderEveryPolicyAndTheReplyStillGoes(Concurrency policy)
      throws Exception {
    AtomicReference<Server> self = new AtomicReference<>();
    Server server = newBuilder().concurrency(policy).handler(r -> {
      String request = read(r);
      self.get().shutdown();
      self.get().close(); // from inside: must not wait for itself
      reply(r, "bye " + request); // the socket lives until the last handler is done
    }).build();
    self.set(server);
    CompletableFuture<Void> serving = CompletableFuture.runAsync(server::serveForever);
    try (Peer p = peer(server)) {
      p.send("hi");
      assertEquals("bye hi", p.receive());
    }
    serving.get(10, TimeUnit.SECONDS);
    assertTrue(server.awaitTermination(WAIT));
  }

  /**
   * A handler reaches its server through its request (Python's {@code self.server}): the very
   * object {@code build()} returned, which it shuts down with nothing handed to it after build.
   */
  @ParameterizedTest
  @MethodSource("policies")
  void aHandlerShutsDownItsOwnServerThroughItsRequestUnderEveryPolicy(Concurrency policy)
      throws Exception {
    CompletableFuture<Server> seen = new CompletableFuture<>();
    Server server = newBuilder().concurrency(policy).handler(r -> {
      String request = read(r);
      Server mine = serverOf(r);
      seen.complete(mine);
      mine.shutdown();
      reply(r, "bye " + request);
    }).build();
    try {
      CompletableFuture<Void> serving = CompletableFuture.runAsync(server::serveForever);
      try (Peer p = peer(server)) {
        p.send("hi");
        assertEquals("bye hi", p.receive());
      }
      serving.get(10, TimeUnit.SECONDS); // returned: the handler's shutdown() reached the server
      assertSame(server, seen.get());
      assertTrue(server.awaitTermination(WAIT));
    } finally {
      server.shutdownNow(); // failed, the server must not go on holding a thread of the pool
      server.close();
    }
  }

  /**
   * A handler cannot drain its own server, which would wait for that handler: {@code drain}
   * refuses at once, long before its timeout, and the handler goes on to answer.
   */
  @ParameterizedTest
  @MethodSource("policies")
  void drainFromInsideAHandlerFailsAtOnceUnderEveryPolicy(Concurrency policy) throws Exception {
    AtomicReference<Server> self = new AtomicReference<>();
    CompletableFuture<Object> drained = new CompletableFuture<>();
    Server server = newBuilder().concurrency(policy).errorHandler((r, e) -> {}).handler(r -> {
      String request = read(r);
      try {
        drained.complete(self.get().drain(Duration.ofMinutes(10))); // longer than the test may run
      } catch (IllegalStateException e) {
        drained.complete(e);
      }
      reply(r, request);
    }).build();
    self.set(server);
    server.start();
    try (Peer p = peer(server)) {
      p.send("drain");
      Await.until("drain() called from a handler to return or throw", WAIT, drained::isDone);
      IllegalStateException e = assertInstanceOf(IllegalStateException.class, drained.get());
      assertTrue(e.getMessage().contains("shutdown()"), e.getMessage());
      assertEquals("drain", p.receive());
    } finally {
      server.shutdownNow(); // a handler waiting for itself waits no more
      server.close();
    }
  }

  @Test
  void drainReportsAGracefulDrain() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    RequestHandler<R> echo = echoHandler();
    Server server = serve(r -> {
      inHandler.countDown();
      release.await();
      echo.handle(r);
    });
    try (Peer p = peer(server)) {
      p.send("x");
      inHandler.await();
      CompletableFuture<DrainReport> drained = CompletableFuture.supplyAsync(() -> {
        try {
          return server.drain(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      Await.until("the drain has begun", WAIT, () -> server.state() != Server.State.RUNNING);
      release.countDown();
      assertEquals("x", p.receive()); // the request in flight is answered
      p.finish(); // a connection's handler reads on until its client is done
      DrainReport report = drained.get(30, TimeUnit.SECONDS);
      assertTrue(report.graceful());
      assertEquals(0, report.cut());
      assertTrue(report.terminated());
      assertEquals(0, server.metrics().cut());
    } finally {
      server.close();
    }
  }

  @Test
  void aFailureIsCountedOnlyOnceItsErrorHandlerHasReturned() throws Exception {
    CountDownLatch inErrorHandler = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Server server = newBuilder().errorHandler((r, e) -> {
      inErrorHandler.countDown();
      try {
        release.await();
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
    }).handler(r -> {
      read(r);
      throw new IllegalStateException("failing on purpose");
    }).build().start();
    try (Peer p = peer(server)) {
      p.send("x");
      inErrorHandler.await();
      // Whoever waits for the count (a test, a dashboard) must find the failure reported.
      assertEquals(0, server.metrics().failed(), "counted while its error handler still ran");
      release.countDown();
      Await.until("the failure counted", WAIT, () -> server.metrics().failed() == 1);
    } finally {
      release.countDown();
      server.close();
    }
  }

  @Test
  void drainReportsTheRequestsItCutWhenTheDeadlinePasses() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(2);
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    Server server = newBuilder().errorHandler((r, e) -> failures.add(e)).handler(r -> {
      read(r);
      inHandler.countDown();
      new CountDownLatch(1).await(); // never finishes by itself
    }).build().start();
    try (Peer a = peer(server); Peer b = peer(server)) {
      a.send("a");
      b.send("b");
      inHandler.await();
      DrainReport report = server.drain(Duration.ofMillis(50));
      assertFalse(report.graceful());
      assertEquals(2, report.cut());
      assertTrue(report.terminated());
      assertTrue(report.took().compareTo(Duration.ofMillis(50)) >= 0, report::toString);
      assertEquals(2, server.metrics().cut());
      assertEquals(2, failures.size(), failures::toString);
      failures.forEach(e -> assertInstanceOf(InterruptedException.class, e));
      a.assertEndedByServer();
      b.assertEndedByServer();
    }
  }

  @Test
  void closeForceClosesARequestStuckPastTheDrainDeadline() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Server server = newBuilder()
        .drainTimeout(Duration.ofMillis(200))
        .errorHandler((r, e) -> failure.set(e))
        .handler(r -> {
          read(r);
          inHandler.countDown();
          blockInIo(r); // the client sends nothing more: stuck until force-closed
        })
        .build()
        .start();
    try (Peer p = peer(server)) {
      p.send("stuck");
      inHandler.await();
      server.close();
      assertEquals(Server.State.TERMINATED, server.state());
      p.assertEndedByServer();
      assertInstanceOf(IOException.class, failure.get());
      assertEquals(1, server.metrics().cut());
    }
  }

  @Test
  void shutdownNowInterruptsAHandlerBlockedOutsideIo() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Server server = newBuilder().errorHandler((r, e) -> failure.set(e)).handler(r -> {
      read(r);
      inHandler.countDown();
      new CountDownLatch(1).await(); // blocks for ever unless interrupted
    }).build().start();
    try (Peer p = peer(server)) {
      p.send("stuck");
      inHandler.await();
      server.shutdownNow();
      assertTrue(server.awaitTermination(WAIT));
      assertInstanceOf(InterruptedException.class, failure.get());
    }
  }

  @Test
  void closeReleasesTheAddressAndEveryDescriptorAndASecondCloseReturnsAtOnce() throws Exception {
    Leaks.Snapshot before = Leaks.baselineAfter(() -> {
      try (Server warm = serve(echoHandler()); Peer p = peer(warm)) {
        p.send("warm");
        assertEquals("warm", p.receive());
      }
    }, WAIT);
    Server server = serve(echoHandler());
    SocketAddress address = server.localAddress();
    try (Peer p = peer(server)) {
      p.send("x");
      assertEquals("x", p.receive());
    }
    server.close();
    assertEquals(Server.State.TERMINATED, server.state());
    server.close(); // idempotent
    before.awaitRestored(WAIT);
    try (Server again = newBuilder(address).handler(echoHandler()).build()) {
      assertEquals(address, again.localAddress());
    }
  }

  @Test
  void aMissingHandlerFailsTheBuildWithAClearMessage() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> newBuilder().build());
    assertTrue(e.getMessage().contains("handler"), e.getMessage());
  }
}
