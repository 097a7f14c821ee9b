package dev.socketserver.engine.core;

import dev.socketserver.engine.proxy.UntrustedProxyException;
import dev.socketserver.engine.stream.ChannelConnection;
import dev.socketserver.engine.stream.FrameLoop;
import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.engine.telemetry.Events;
import dev.socketserver.engine.telemetry.Limit;
import dev.socketserver.engine.telemetry.Logs;
import dev.socketserver.engine.telemetry.RateLimitedLog;
import dev.socketserver.spi.Acceptor;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Datagram;
import dev.socketserver.api.DrainReport;
import dev.socketserver.api.ErrorHandler;
import dev.socketserver.api.FrameException;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.Server;
import dev.socketserver.api.ServerListener;
import dev.socketserver.api.ServerMetrics;
import dev.socketserver.spi.ServerSettings;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.MDC;
import org.slf4j.event.Level;

/**
 * The {@link Server} every transport returns: lifecycle, the accept loop, dispatching to the
 * concurrency policy, the limit on requests in flight, hooks and counters. The transport supplies
 * the {@link Acceptor}.
 *
 * <p>Thread-safety: the lifecycle state, the serving thread and the in-flight count are guarded
 * by {@link #lock}; at most one thread serves (accepts) at a time, so only that thread increments
 * the in-flight count, and a slot it saw free stays free until it accepts.
 *
 * @param <R> the request type
 */
// inFlight is volatile for lock-free reads by metrics(); every write happens under the lock.
@SuppressWarnings("NonAtomicVolatileUpdate")
public final class ServerCore<R> implements Server {
  private static final Logger log = Logs.get("dev.socketserver.Server");
  // Accept failures (EMFILE, ENFILE, ENOBUFS) back off exponentially between these bounds.
  private static final long ACCEPT_RETRY_MIN_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  private static final long ACCEPT_RETRY_MAX_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final String name;
  private final Acceptor<R> acceptor;
  private final Counters counters;
  private final RequestHandler<? super R> handler;
  private final @Nullable ErrorHandler<? super R> errorHandler;
  private final @Nullable Predicate<? super R> filter;
  private final Runnable timeoutHook;
  private final @Nullable Runnable serviceAction;
  private final long serviceIntervalNanos;
  private final Duration drainTimeout;
  private final boolean waitOnClose;
  private final int limit;
  private final Dispatcher dispatcher;
  // The requests in flight: an intrusive list guarded by lock, linked and unlinked where the
  // in-flight count changes anyway (a concurrent set cost every request two hash updates).
  private @Nullable Task first;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  // Guarded by lock.
  private State state = State.NEW;
  private @Nullable Thread servingThread;
  private final boolean virtualLoop;
  private boolean listenerClosing;
  private boolean listenerClosed;
  private boolean terminating;
  private volatile int inFlight; // written under lock
  // Only the serving thread touches it: the next pause after a failed accept.
  private long acceptRetryNanos = ACCEPT_RETRY_MIN_NANOS;

  // What peers can make a server log, each kind at a bounded rate (RateLimitedLog).
  private final RateLimitedLog acceptFailures =
      new RateLimitedLog(log, Level.WARN, "Accept failures");
  private final RateLimitedLog handshakeFailures =
      new RateLimitedLog(log, Level.INFO, "Connections rejected for a failed TLS handshake");
  private final RateLimitedLog untrustedProxies =
      new RateLimitedLog(log, Level.INFO, "Connections rejected for not coming from a trusted proxy");
  private final RateLimitedLog clientsLeft =
      new RateLimitedLog(log, Level.INFO, "Connections whose client left before they were served");
  private final RateLimitedLog rejections = new RateLimitedLog(log, Level.WARN, "Rejected requests");
  private final RateLimitedLog filtered =
      new RateLimitedLog(log, Level.DEBUG, "Requests refused by the filter");
  private final RateLimitedLog badInput = new RateLimitedLog(log, Level.WARN, "Bad input");
  private final RateLimitedLog failedRequests = new RateLimitedLog(log, Level.WARN, "Failed requests");
  private final RateLimitedLog handlerFailures =
      new RateLimitedLog(log, Level.WARN, "Handler failures");
  private final RateLimitedLog threadFailures =
      new RateLimitedLog(log, Level.ERROR, "Requests failed for want of a thread");

  /**
   * Creates the server over {@code acceptor}, which it then owns.
   *
   * @param name names the server in thread names and log lines, for example
   *     {@code "tcp /127.0.0.1:3130"}
   */
  public ServerCore(String name, ServerSettings<R> settings, Acceptor<R> acceptor, Counters counters) {
    this.name = name;
    this.acceptor = acceptor;
    this.counters = counters;
    this.handler = settings.handler();
    this.errorHandler = settings.errorHandler().orElse(null);
    this.filter = settings.filter().orElse(null);
    this.timeoutHook = settings.timeoutHook();
    this.serviceAction = settings.serviceAction().orElse(null);
    this.serviceIntervalNanos = settings.serviceInterval().toNanos();
    this.drainTimeout = settings.drainTimeout();
    this.waitOnClose = settings.concurrency().waitOnClose();
    this.limit = settings.concurrency().limit().orElse(Integer.MAX_VALUE);
    this.dispatcher = Dispatcher.of(settings.concurrency(), name);
    this.virtualLoop = settings.concurrency().mode() == Concurrency.Mode.VIRTUAL_THREADS;
    log.debug("Server {} bound, concurrency {}", name, settings.concurrency());
  }

  @Override
  public SocketAddress localAddress() {
    return acceptor.localAddress();
  }

  @Override
  public State state() {
    lock.lock();
    try {
      return state;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public ServerMetrics metrics() {
    return counters.snapshot(inFlight);
  }

  @Override
  public void addListener(ServerListener listener) {
    counters.addListener(listener);
  }

  @Override
  public String toString() {
    return "Server[" + name + ", " + state() + "]";
  }

  // ---- serving ----

  // Under virtualThreads() the loop itself runs on a virtual thread, whichever thread asked for
  // it: the handler threads it starts are then queued on its own carrier instead of being
  // submitted to the scheduler from outside it, a wake-up of another carrier each (the same
  // reason the poller is a virtual thread). The caller's thread only waits for the loop.

  @Override
  public void serveForever() {
    if (!virtualLoop) {
      if (enterServing(Thread.currentThread())) {
        serveLoop();
      }
      return;
    }
    Thread loop = Thread.ofVirtual().name("socketserver-serve " + name).unstarted(this::serveLoop);
    if (enterServing(loop)) {
      loop.start();
      awaitLoop(loop);
    }
  }

  @Override
  public Server start() {
    Thread loop = virtualLoop
        ? Thread.ofVirtual().name("socketserver-serve " + name).unstarted(this::serveLoop)
        : Thread.ofPlatform().name("socketserver-serve " + name).daemon(false).unstarted(this::serveLoop);
    if (!enterServing(loop)) {
      throw new IllegalStateException("cannot start " + this + ": it was shut down");
    }
    if (virtualLoop) {
      // Virtual threads are daemons: this one keeps the JVM alive, as start() promises.
      Thread.ofPlatform().name("socketserver-serve " + name + " (waiting)").daemon(false).start(() -> {
        loop.start();
        awaitLoop(loop);
      });
    } else {
      loop.start();
    }
    return this;
  }

  /** Waits for the serving loop; interrupting the waiting thread interrupts the loop. */
  private static void awaitLoop(Thread loop) {
    boolean interrupted = false;
    while (true) {
      try {
        loop.join();
        break;
      } catch (InterruptedException e) {
        if (!interrupted) {
          interrupted = true;
          loop.interrupt(); // the loop treats it as a shutdown, as on the calling thread
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** The serving loop, on the thread {@link #enterServing} registered. */
  private void serveLoop() {
    try {
      long nextService = System.nanoTime() + serviceIntervalNanos;
      while (true) {
        if (Thread.currentThread().isInterrupted()) {
          log.info("Serving thread of {} interrupted: shutting down", name);
          shutdown();
          return;
        }
        long wait = serviceAction == null ? -1 : Math.max(0, nextService - System.nanoTime());
        int slot = awaitSlot(wait);
        if (slot < 0 || (slot > 0 && acceptOne(wait) < 0)) {
          return;
        }
        if (serviceAction != null && System.nanoTime() - nextService >= 0) {
          runHook("service action", serviceAction);
          nextService = System.nanoTime() + serviceIntervalNanos;
        }
      }
    } finally {
      exitServing();
    }
  }

  @Override
  public boolean handleRequest(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout < 0: " + timeout);
    }
    if (!enterServing(Thread.currentThread())) {
      return false;
    }
    try {
      long deadline = System.nanoTime() + ChannelTimeouts.nanos(timeout);
      while (true) {
        int slot = awaitSlot(Math.max(0, deadline - System.nanoTime()));
        if (slot < 0) {
          return false;
        }
        if (slot > 0) {
          int accepted = acceptOne(Math.max(0, deadline - System.nanoTime()));
          if (accepted != 0) {
            return accepted > 0;
          }
        }
        if (deadline - System.nanoTime() <= 0) {
          runHook("timeout hook", timeoutHook);
          return false;
        }
      }
    } finally {
      exitServing();
    }
  }

  /**
   * Accepts and dispatches at most one request, waiting up to {@code waitNanos}: returns 1 if one
   * was dispatched, 0 if none came, -1 if the server is no longer running.
   */
  private int acceptOne(long waitNanos) {
    R request;
    try {
      request = acceptor.accept(waitNanos);
    } catch (IOException e) {
      if (!running()) {
        return -1;
      }
      // Out of descriptors or buffers: nothing to accept with until some close. Back off
      // exponentially, so an exhausted server neither spins nor floods the log.
      long pause = acceptRetryNanos;
      acceptRetryNanos = Math.min(ACCEPT_RETRY_MAX_NANOS, pause * 2);
      acceptFailures.log("Accept failed on {}: {}; retrying in {} ms",
          name, e.toString(), TimeUnit.NANOSECONDS.toMillis(pause));
      pause(pause);
      return running() ? 0 : -1;
    }
    acceptRetryNanos = ACCEPT_RETRY_MIN_NANOS;
    if (request != null) {
      // Accepted before or after shutdown began, it is served all the same: nothing accepted is lost.
      dispatch(request);
      return 1;
    }
    return running() ? 0 : -1;
  }

  /** Registers {@code thread} as the serving thread; false if the server no longer runs. */
  private boolean enterServing(Thread thread) {
    lock.lock();
    try {
      if (state == State.NEW) {
        state = State.RUNNING;
      }
      if (state != State.RUNNING) {
        return false;
      }
      Thread serving = servingThread;
      if (serving != null) {
        throw new IllegalStateException(
            this + " is already being served by thread " + serving.getName());
      }
      servingThread = thread;
      return true;
    } finally {
      lock.unlock();
    }
  }

  private void exitServing() {
    boolean stopped;
    lock.lock();
    try {
      servingThread = null;
      stopped = state != State.RUNNING;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    if (stopped) {
      closeListenerOnce();
    }
  }

  private boolean running() {
    lock.lock();
    try {
      return state == State.RUNNING;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until a request may be accepted within the limit: returns 1 then, 0 if
   * {@code waitNanos} passed first (negative: no deadline), -1 if the server stopped running.
   */
  private int awaitSlot(long waitNanos) {
    lock.lock();
    try {
      long left = waitNanos;
      if (state == State.RUNNING && inFlight >= limit) {
        counters.hit(Limit.CONCURRENCY, name, limit);
      }
      while (state == State.RUNNING && inFlight >= limit) {
        if (waitNanos < 0) {
          changed.await();
        } else if (left <= 0) {
          return 0;
        } else {
          left = changed.awaitNanos(left);
        }
      }
      return state == State.RUNNING ? 1 : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.info("Serving thread of {} interrupted: shutting down", name);
      state = State.SHUTTING_DOWN;
      return -1;
    } finally {
      lock.unlock();
    }
  }

  private void pause(long nanos) {
    lock.lock();
    try {
      long left = nanos;
      while (left > 0 && state == State.RUNNING) {
        left = changed.awaitNanos(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
  }

  // ---- requests ----

  private void dispatch(R request) {
    counters.accepted.increment();
    Task task = new Task(request);
    lock.lock();
    try {
      inFlight++;
      Task next = first;
      task.next = next;
      if (next != null) {
        next.prev = task;
      }
      first = task;
    } finally {
      lock.unlock();
    }
    task.start();
  }

  private boolean admitted(Predicate<? super R> test, R request) {
    try {
      return test.test(request);
    } catch (RuntimeException e) {
      handlerFailures.log("Filter failed for {}; rejecting it", acceptor.describe(request), e);
      return false;
    }
  }

  /**
   * One request on its thread: prepare (TLS handshake, PROXY header), filter, handler, finish.
   * The filter runs here rather than on the serving thread so that it sees the prepared request
   * (the real client address, the TLS identity) and a slow one never stalls accepting.
   */
  private final class Task implements Runnable {
    final R request;
    volatile R prepared;
    volatile @Nullable Thread thread;
    @Nullable Task prev; // guarded by lock, as next
    @Nullable Task next;
    volatile boolean stopped;
    // Set when the handler is served in turns (FrameLoop): the connection's state between turns,
    // each on its own thread. Written before the first turn ends; the connection's lock and
    // Thread.start order it before the next turn reads it.
    FrameLoop.@Nullable Turns turns;

    Task(R request) {
      this.request = request;
      this.prepared = request;
    }

    @Override
    public void run() {
      thread = Thread.currentThread();
      boolean waiting = false;
      try {
        FrameLoop.Turns t = turns;
        if (t != null) {
          waiting = turn(prepared, t); // even when stopped: the turn fails on the closed connection
        } else if (!stopped) {
          waiting = serve();
        }
      } finally {
        if (!waiting) {
          finish();
        }
      }
    }

    // Once the handler has ended: the transport's clean-up, then out of the in-flight list.
    private void finish() {
      R served = prepared;
      try {
        acceptor.finish(served);
      } catch (IOException | RuntimeException e) {
        log.debug("Closing the request from {} failed: {}", acceptor.describe(served), e.toString());
      }
      Thread ran = thread;
      thread = null;
      if (stopped && ran == Thread.currentThread()) {
        Thread.interrupted(); // we interrupted it; a pool thread must not keep the flag
      }
      done(this);
    }

    /**
     * Prepares, filters and serves the request; returns true if it is served in turns and now
     * waits for input with no thread (this thread must then do nothing more with the task).
     */
    private boolean serve() {
      R r;
      try {
        r = acceptor.prepare(request);
      } catch (IOException | RuntimeException e) {
        counters.rejected.increment();
        String client = acceptor.describe(request);
        if (e instanceof SSLException) {
          handshakeFailures.log("Rejected connection from {}: TLS handshake failed: {}", client, e.toString());
        } else if (e instanceof UntrustedProxyException) {
          untrustedProxies.log("Rejected connection from {}: {}", client, e.getMessage());
        } else if (e instanceof SocketException || e instanceof EOFException) {
          // The client's doing (reset, broken pipe, closed early): nothing for an operator to fix.
          clientsLeft.log("Rejected connection from {}: the client left before it was served: {}", client, e.toString());
        } else {
          rejections.log("Rejected connection from {}: {}", client, e.toString());
        }
        return false;
      }
      prepared = r;
      if (filter != null && !admitted(filter, r)) {
        counters.rejected.increment();
        filtered.log("Rejected request from {}: refused by the filter", acceptor.describe(r));
        return false;
      }
      if (virtualLoop
          && handler instanceof FrameLoop loop
          && r instanceof ChannelConnection c
          && c.readsWaitForever()) {
        FrameLoop.Turns t = loop.turns(c, this::start);
        turns = t;
        return turn(r, t);
      }
      MDC.put("client", acceptor.describe(r));
      try {
        acceptor.verify(r);
        handler.handle(r);
        counters.completed.increment();
      } catch (Throwable t) { // a handler's failure of any kind must not stop the server
        counters.failed.increment();
        reportError(r, t, stopped);
      } finally {
        MDC.remove("client");
      }
      return false;
    }

    /**
     * One turn of a handler served in turns: answers what the connection has read. Returns true
     * if the connection now waits for input with no thread: the next turn may already be running
     * on another thread, so this one must do nothing more with the task.
     */
    private boolean turn(R r, FrameLoop.Turns t) {
      MDC.put("client", acceptor.describe(r));
      try {
        while (!t.serveBuffered()) {
          // Forget this thread first: stop() must not interrupt it once the next turn runs, and
          // a finished thread must not stay reachable from an idle connection.
          thread = null;
          if (t.suspend()) {
            return true;
          }
          thread = Thread.currentThread(); // input came meanwhile: serve it on this thread
        }
        counters.completed.increment();
      } catch (Throwable e) { // as in serve()
        counters.failed.increment();
        reportError(r, e, stopped);
      } finally {
        MDC.remove("client");
      }
      return false;
    }

    /**
     * Hands this task to the policy's thread: at dispatch, and for each next turn (called by the
     * connection: the poller thread, or whoever closes it). If no thread can run it, the request
     * fails at once.
     */
    void start() {
      try {
        dispatcher.execute(this);
      } catch (RejectedExecutionException | OutOfMemoryError e) {
        // OutOfMemoryError: no thread could be created. The request fails; the server carries on.
        threadFailures.log("Could not start a thread for the request from {}: {}", acceptor.describe(prepared), e.toString());
        counters.failed.increment();
        acceptor.abort(request);
        finish();
      }
    }

    /** Stops the request; returns false if it was stopped already. */
    synchronized boolean stop() {
      if (stopped) {
        return false;
      }
      stopped = true;
      acceptor.abort(request); // first, so the woken handler cannot write any more
      Thread t = thread;
      if (t != null) {
        t.interrupt();
      }
      return true;
    }
  }

  /**
   * Tells the error handler; the default logs a WARN, or a DEBUG when the server itself stopped
   * the request ({@code stopped}: shutdownNow or the drain deadline, already logged once).
   */
  private void reportError(R request, Throwable error, boolean stopped) {
    Events.handlerFailed(acceptor.describe(request), error);
    ErrorHandler<? super R> custom = errorHandler;
    if (custom != null) {
      try {
        custom.handleError(request, error);
      } catch (RuntimeException e) {
        log.warn("Error handler failed for {}", acceptor.describe(request), e);
      }
    } else if (stopped) {
      log.debug("Request from {} stopped by shutdown: {}", acceptor.describe(request), error.toString());
    } else if (error instanceof FrameException) {
      badInput.log("Bad input from {}: {}; {}", acceptor.describe(request), error.getMessage(),
          request instanceof Datagram ? "the datagram was dropped" : "closing the connection");
    } else if (error instanceof IOException) {
      failedRequests.log("Request from {} failed: {}", acceptor.describe(request), error.toString());
    } else {
      handlerFailures.log("Handler failed for request from {}", acceptor.describe(request), error);
    }
  }

  private void done(Task task) {
    boolean terminate;
    lock.lock();
    try {
      Task prev = task.prev;
      Task next = task.next;
      if (prev == null) {
        first = next;
      } else {
        prev.next = next;
      }
      if (next != null) {
        next.prev = prev;
      }
      task.prev = null;
      task.next = null;
      inFlight--;
      changed.signalAll();
      terminate = readyToTerminate();
    } finally {
      lock.unlock();
    }
    if (terminate) {
      terminate();
    }
  }

  private void runHook(String what, Runnable hook) {
    try {
      hook.run();
    } catch (RuntimeException e) {
      log.warn("The {} of {} failed", what, name, e);
    }
  }

  // ---- shutdown ----

  @Override
  public void shutdown() {
    boolean nobodyServing;
    lock.lock();
    try {
      if (state == State.NEW || state == State.RUNNING) {
        state = State.SHUTTING_DOWN;
        log.debug("Server {} shutting down with {} request(s) in flight", name, inFlight);
      }
      nobodyServing = servingThread == null;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    acceptor.wakeup();
    if (nobodyServing) {
      closeListenerOnce(); // else the serving thread closes it on its way out
    }
  }

  @Override
  public void shutdownNow() {
    shutdown();
    for (Task task : inFlightTasks()) {
      if (task.stop()) {
        counters.cut.increment();
      }
    }
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    long left = ChannelTimeouts.nanos(timeout);
    lock.lock();
    try {
      while (state != State.TERMINATED) {
        if (left <= 0) {
          return false;
        }
        left = changed.awaitNanos(left);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * True if the calling thread runs one of this server's handlers. A scan, not a scoped value
   * bound per request: it is asked only by close() and drain(), and a scoped value costs every
   * request an allocation and every parked handler three frames of stack.
   */
  private boolean inHandler() {
    Thread me = Thread.currentThread();
    for (Task task : inFlightTasks()) {
      if (task.thread == me) {
        return true;
      }
    }
    return false;
  }

  /** A snapshot of the requests in flight. */
  private List<Task> inFlightTasks() {
    List<Task> all = new ArrayList<>();
    lock.lock();
    try {
      for (Task t = first; t != null; t = t.next) {
        all.add(t);
      }
    } finally {
      lock.unlock();
    }
    return all;
  }

  @Override
  public void close() {
    shutdown();
    if (inHandler()) {
      log.debug("close() from a handler of {}: shut down without waiting for itself", name);
      return;
    }
    if (!waitOnClose) {
      return;
    }
    try {
      drain(drainTimeout);
    } catch (InterruptedException e) {
      shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public DrainReport drain(Duration timeout) throws InterruptedException {
    if (inHandler()) {
      throw new IllegalStateException(
          "drain() from a handler of " + name + " would wait for itself: call shutdown() there");
    }
    DrainReport report = Server.super.drain(timeout);
    if (!report.graceful()) {
      log.warn(
          "Drain forced on {}: deadline of {} passed, {} request(s) cut{}",
          name, timeout, report.cut(),
          report.terminated() ? "" : ", some still running: given up on them");
    }
    return report;
  }

  private void closeListenerOnce() {
    lock.lock();
    try {
      if (listenerClosing) {
        return;
      }
      listenerClosing = true;
    } finally {
      lock.unlock();
    }
    acceptor.closeListener();
    boolean terminate;
    lock.lock();
    try {
      listenerClosed = true;
      terminate = readyToTerminate();
    } finally {
      lock.unlock();
    }
    if (terminate) {
      terminate();
    }
  }

  // lock held; true for exactly one caller, who must then call terminate()
  private boolean readyToTerminate() {
    if (state == State.SHUTTING_DOWN
        && servingThread == null
        && listenerClosed
        && inFlight == 0
        && !terminating) {
      terminating = true;
      return true;
    }
    return false;
  }

  private void terminate() {
    try {
      acceptor.terminated();
      dispatcher.close();
    } finally {
      lock.lock();
      try {
        state = State.TERMINATED;
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      log.debug("Server {} terminated", name);
    }
  }
}
