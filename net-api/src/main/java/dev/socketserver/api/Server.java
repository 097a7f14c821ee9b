package dev.socketserver.api;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * A bound, listening server: Python's {@code BaseServer} with a JDK-style lifecycle.
 *
 * <p>A transport's builder binds and listens in {@code build()}, so {@link #localAddress()} is
 * valid at once (port 0 already resolved) and clients may connect before serving starts: the
 * kernel queues them. The server then moves through these states, and never back:
 * <pre>
 * NEW --serveForever()/start()/handleRequest()--> RUNNING --shutdown()--> SHUTTING_DOWN
 *     --last request done--> TERMINATED
 * </pre>
 * {@link #shutdown()} from {@code NEW} goes straight to {@code SHUTTING_DOWN}. A server cannot be
 * restarted: build a new one.
 *
 * <p>Who closes what: the server owns its listening socket and every request it accepted. It
 * closes each request after its handler, and the listening socket as soon as it stops accepting;
 * {@link #close()} releases everything. Thread-safe: every method may be called from any thread,
 * including from inside a handler.
 *
 * {@snippet :
 * try (Server server = TcpServer.builder()
 *         .bind(new InetSocketAddress("localhost", 3130))
 *         .concurrency(Concurrency.virtualThreads().limit(10_000))
 *         .handler(c -> c.input().transferTo(c.output()))
 *         .build()) {
 *     server.serveForever();
 * }
 * }
 */
public interface Server extends AutoCloseable {

  /** The lifecycle states of a server, in the only order it goes through them. */
  enum State {
    /** Built: bound and listening, not yet accepting. */
    NEW,
    /** Accepting requests. */
    RUNNING,
    /** No longer accepting; requests already accepted are finishing. */
    SHUTTING_DOWN,
    /** Every request is done and every socket released. */
    TERMINATED
  }

  /**
   * Returns the address the server is bound to, port 0 resolved: an {@code InetSocketAddress}
   * for TCP and UDP, a {@code UnixDomainSocketAddress} for Unix-domain servers.
   */
  SocketAddress localAddress();

  /** Returns the current state. */
  State state();

  /** Returns a snapshot of the counters; cheap enough to call often. */
  ServerMetrics metrics();

  /**
   * Registers {@code listener} to be told of every connection this server closes from now on,
   * beside the listeners registered before; there is no removal, a listener lives as long as the
   * server. Callable in any state, from any thread.
   *
   * <p>A server that serves its requests in other processes (the supervisor of a {@code
   * processes(n)} server) and a datagram server have no connection to report: they accept the
   * listener and never call it.
   *
   * @implSpec The default implementation only checks that {@code listener} is not null: for
   *     servers with no connections of their own.
   * @throws NullPointerException if {@code listener} is null
   */
  default void addListener(ServerListener listener) {
    Objects.requireNonNull(listener, "listener");
  }

  /**
   * Accepts and dispatches requests until {@link #shutdown()}, on the calling thread; under
   * {@link Concurrency#virtualThreads()}, on a virtual thread that the calling thread waits for,
   * so that starting a handler thread is a hand-off within the scheduler. Interrupting the
   * calling thread shuts the server down in both cases.
   *
   * <p>Returns once the server stops accepting; requests still in flight may go on running
   * (see {@link #awaitTermination}). Returns at once if the server was already shut down.
   * Failures to accept (for example too many open files) are logged and retried after a short
   * pause; they do not end the loop.
   *
   * @throws IllegalStateException if another thread is already serving this server
   */
  void serveForever();

  /**
   * Runs {@link #serveForever()} on a new thread, named after the server, and returns this
   * server. A started server keeps the JVM alive until it is shut down: the thread is a
   * non-daemon platform thread (under {@link Concurrency#virtualThreads()}, one that waits for the
   * virtual thread serving).
   *
   * @throws IllegalStateException if the server is already serving or was shut down
   */
  Server start();

  /**
   * Serves exactly one request, waiting at most {@code timeout} for it; Python's
   * {@code handle_request}.
   *
   * <p>With {@link Concurrency#sequential()} the handler has finished when this returns; with
   * the other policies it has been dispatched. If no request arrives in time, the timeout hook
   * runs and this returns {@code false}; it also returns {@code false} once the server is shut
   * down.
   *
   * @return whether a request was accepted and dispatched
   * @throws IllegalStateException if another thread is serving this server
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  boolean handleRequest(Duration timeout);

  /**
   * Stops accepting, without waiting: an orderly shutdown.
   *
   * <p>The accept loop is woken at once and the listening socket closed, so new clients are
   * refused rather than left hanging; requests in flight go on. Callable from any thread,
   * including from inside a handler under every policy; never blocks on other requests;
   * idempotent.
   */
  void shutdown();

  /**
   * Stops accepting and stops every request in flight: their threads are interrupted and their
   * sockets closed, which makes blocked reads and writes fail. Does not wait; idempotent.
   */
  void shutdownNow();

  /**
   * Waits until the server has terminated (every request done, every socket released) or the
   * timeout passes.
   *
   * @return whether the server terminated in time
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  boolean awaitTermination(Duration timeout) throws InterruptedException;

  /**
   * Shuts down, lets requests in flight finish for at most {@code timeout}, then stops what is
   * left with {@link #shutdownNow()} and waits up to 5 more seconds for it; returns whether the
   * drain was graceful and how many requests were cut. {@link #close()} is
   * {@code drain(drainTimeout)} without the report; {@link ServerMetrics#cut()} counts cut
   * requests however they were stopped.
   *
   * {@snippet :
   * DrainReport report = server.drain(Duration.ofSeconds(30));
   * if (!report.graceful()) {
   *     log.warn("{} request(s) cut at shutdown", report.cut());
   * }
   * }
   *
   * @throws IllegalStateException if called from one of this server's handlers, which cannot
   *     wait for itself (call {@link #shutdown()} there)
   * @throws InterruptedException if the calling thread is interrupted while waiting; the server
   *     goes on draining
   */
  default DrainReport drain(Duration timeout) throws InterruptedException {
    long start = System.nanoTime();
    shutdown();
    if (awaitTermination(timeout)) {
      return new DrainReport(true, 0, true, Duration.ofNanos(System.nanoTime() - start));
    }
    long before = metrics().cut();
    shutdownNow();
    boolean terminated = awaitTermination(Duration.ofSeconds(5));
    return new DrainReport(
        false, metrics().cut() - before, terminated, Duration.ofNanos(System.nanoTime() - start));
  }

  /**
   * Shuts down and releases everything: stops accepting, lets requests in flight finish until
   * the drain deadline, then force-closes what is left.
   *
   * <p>Called a second time, or after termination, it returns at once. Called from inside one
   * of this server's handlers it cannot wait for itself: it shuts down and returns, and the
   * server terminates once that handler returns. If the calling thread is interrupted while
   * waiting, the server is stopped with {@link #shutdownNow()} and the interrupt status is kept.
   * With {@code Concurrency...waitOnClose(false)} (Python's {@code block_on_close = False}) it
   * does not wait for handlers: they finish in the background.
   */
  @Override
  void close();
}
