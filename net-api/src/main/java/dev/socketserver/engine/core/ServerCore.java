package dev.socketserver.engine.core;

import static dev.socketserver.engine.core.RequestLog.log;

import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.spi.Acceptor;
import dev.socketserver.spi.Resumable;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.DrainReport;
import dev.socketserver.api.Handlers;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.Server;
import dev.socketserver.api.ServerListener;
import dev.socketserver.api.ServerMetrics;
import dev.socketserver.spi.ServerSettings;
import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;

/**
 * The {@link Server} every transport returns: the requests in flight, dispatched to the
 * concurrency policy, filtered, handled and finished, and shutdown. The transport supplies the
 * {@link Acceptor}; the {@link Lifecycle} holds the state and the serving thread, the {@link
 * AcceptLoop} accepts within the limit, the {@link RequestLog} says what happened.
 *
 * <p>Thread-safety: the in-flight list and count and the listener's state are guarded by the
 * lifecycle's lock; at most one thread serves (accepts) at a time, so only that thread increments
 * the in-flight count, and a slot it saw free stays free until it accepts (an acceptor with
 * several lanes has a thread per lane, each reserving its slot under the lock first: see
 * {@link AcceptLoop}).
 *
 * @param <R> the request type
 */
// inFlight is volatile for lock-free reads by metrics(); every write happens under the lock.
@SuppressWarnings("NonAtomicVolatileUpdate")
public final class ServerCore<R> implements Server, Lifecycle.Owner {
  private final String name;
  private final Acceptor<R> acceptor;
  private final Counters counters;
  private final RequestHandler<? super R> handler;
  private final @Nullable Predicate<? super R> filter;
  private final Duration drainTimeout;
  private final boolean waitOnClose;
  private final Dispatcher dispatcher;
  private final boolean virtualLoop;
  private final Lifecycle lifecycle;
  private final ReentrantLock lock;
  private final RequestLog<R> requestLog;
  private final AcceptLoop<R> loop;
  // The requests in flight: an intrusive list guarded by lock, linked and unlinked where the
  // in-flight count changes anyway (a concurrent set cost every request two hash updates).
  private @Nullable Task first;
  private volatile int inFlight; // written under lock
  // Guarded by lock.
  private boolean listenerClosing;
  private boolean listenerClosed;

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
    this.filter = settings.filter().orElse(null);
    this.drainTimeout = settings.drainTimeout();
    Concurrency.InProcess policy = Dispatcher.inProcess(settings.concurrency());
    this.waitOnClose = policy.waitOnClose();
    this.dispatcher = Dispatcher.of(policy, name);
    this.virtualLoop = policy instanceof Concurrency.VirtualThreads;
    this.lifecycle = new Lifecycle(name, log, this);
    this.lock = lifecycle.lock();
    this.requestLog = new RequestLog<>(acceptor, settings.errorHandler().orElse(null));
    this.loop = new AcceptLoop<>(name, this, lifecycle, acceptor, counters, requestLog, settings);
    log.debug("Server {} bound, concurrency {}", name, settings.concurrency());
  }

  @Override
  public SocketAddress localAddress() {
    return acceptor.localAddress();
  }

  @Override
  public State state() {
    return lifecycle.state();
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
    return lifecycle.describe();
  }

  // ---- serving ----

  // Under virtualThreads() the loop itself runs on a virtual thread, whichever thread asked for
  // it: the handler threads it starts are then queued on its own carrier instead of being
  // submitted to the scheduler from outside it, a wake-up of another carrier each (the same
  // reason the poller is a virtual thread). The caller's thread only waits for the loop.

  @Override
  public void serveForever() {
    lifecycle.serveForever(loop::serve, virtualLoop);
  }

  @Override
  public Server start() {
    lifecycle.start(loop::serve, virtualLoop);
    return this;
  }

  @Override
  public boolean handleRequest(Duration timeout) {
    return loop.handleOne(timeout);
  }

  /** The serving thread leaves: the listener closes if the server stopped running meanwhile. */
  void exitServing() {
    if (lifecycle.exitServing()) {
      closeListenerOnce();
    }
  }

  /** Returns the number of requests in flight (exact under the lock). */
  int inFlight() {
    return inFlight;
  }

  // ---- requests ----

  /** Hands an accepted request to its thread; on the serving thread. */
  void dispatch(R request) {
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
      requestLog.filterFailed(request, e);
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
    // Set when the handler is served in turns (see Resumable): the request's state between turns,
    // each on its own thread. Written before the first turn ends; the connection's lock and
    // Thread.start order it before the next turn reads it.
    Resumable.@Nullable Turns turns;
    // A non-blocking handler's turn on the poller thread failed: the thread the request is handed
    // to reports it. Written before that hand-off (a thread start), which orders it.
    @Nullable Throwable inlineFailure;
    // The poller thread while it serves a turn of a non-blocking handler, for inHandler(); never
    // interrupted. Written only by that thread, whose own reads are all that matter.
    @Nullable Thread inlineThread;
    // The prepared request's description for the MDC, made once: a request served in turns sets
    // it per turn, and formatting the address each time was 1 % of a small echo's CPU. Racy but
    // benign: the description is immutable and the same whoever makes it.
    private @Nullable String client;

    Task(R request) {
      this.request = request;
      this.prepared = request;
    }

    @Override
    public void run() {
      thread = Thread.currentThread();
      boolean waiting = false;
      try {
        Resumable.Turns t = turns;
        Throwable inlineFailed = inlineFailure;
        if (inlineFailed != null) {
          inlineFailure = null;
          reportInlineFailure(prepared, inlineFailed);
        } else if (t != null) {
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
        if (probe(request)) {
          requestLog.probe(request, e);
        } else {
          requestLog.rejected(request, e);
        }
        return false;
      }
      prepared = r;
      if (filter != null && !admitted(filter, r)) {
        counters.rejected.increment();
        requestLog.filtered(r);
        return false;
      }
      Resumable.Turns inTurns = virtualLoop ? turnsOf(r) : null;
      if (inTurns != null) {
        turns = inTurns;
        return turn(r, inTurns);
      }
      MDC.put("client", client(r));
      try {
        acceptor.verify(r);
        handler.handle(r);
        completed(r);
      } catch (Throwable t) { // a handler's failure of any kind must not stop the server
        failed(r, t);
      } finally {
        MDC.remove("client");
      }
      return false;
    }

    /** {@code acceptor.describe(r)} of the prepared request {@code r}, made once. */
    private String client(R r) {
      String c = client;
      if (c == null) {
        client = c = acceptor.describe(r);
      }
      return c;
    }

    private void completed(R r) {
      counters.completed.increment();
      probe(r);
    }

    /**
     * Logs the failure (or gives it to the error handler), as a probe if the client sent nothing (a
     * health check), and only then counts it: whoever sees {@code failed} grow finds the failure
     * reported.
     */
    private void failed(R r, Throwable t) {
      try {
        if (probe(r)) {
          requestLog.probe(r, t);
        } else {
          requestLog.failed(r, t, stopped);
        }
      } finally {
        counters.failed.increment();
      }
    }

    /** Counts {@code r} as a probe if its client sent nothing; returns whether it did. */
    private boolean probe(R r) {
      if (acceptor.silent(r)) {
        counters.probes.increment();
        return true;
      }
      return false;
    }

    /**
     * The turns in which the handler serves {@code r}, if both allow it: a {@link Handlers.Framed}
     * handler and a request that can wait for input with no thread; else null.
     */
    private Resumable.@Nullable Turns turnsOf(R r) {
      return handler instanceof Handlers.Framed framed && r instanceof Resumable resumable
          ? resumable.serveInTurns(framed, framed.nonBlocking() ? this::resume : this::start)
          : null;
    }

    /**
     * Starts the next turn of a non-blocking handler (called by the connection, as {@link
     * #start()}): on the poller thread that found the input, if it may serve it there, else (or
     * for what it leaves: see {@link Resumable.Turns#serveInline()}) on a thread of its own.
     */
    private void resume() {
      Resumable.Turns t = turns;
      if (t == null || !t.canServeInline()) {
        start();
        return;
      }
      inlineThread = Thread.currentThread();
      MDC.put("client", client(prepared));
      try {
        if (t.serveInline()) {
          return; // waits for input again; a next turn may already run (not on this thread)
        }
      } catch (Throwable e) { // reported on the request's thread, not the poller's
        inlineFailure = e;
      } finally {
        inlineThread = null;
        MDC.remove("client");
      }
      start();
    }

    private void reportInlineFailure(R r, Throwable t) {
      MDC.put("client", client(r));
      try {
        failed(r, t);
      } finally {
        MDC.remove("client");
      }
    }

    /**
     * One turn of a handler served in turns: answers what the connection has read. Returns true
     * if the connection now waits for input with no thread: the next turn may already be running
     * on another thread, so this one must do nothing more with the task.
     */
    private boolean turn(R r, Resumable.Turns t) {
      MDC.put("client", client(r));
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
        completed(r);
      } catch (Throwable e) { // as in serve()
        failed(r, e);
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
        requestLog.noThread(prepared, e);
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
      terminate = lifecycle.claimTermination();
    } finally {
      lock.unlock();
    }
    if (terminate) {
      lifecycle.terminate();
    }
  }

  // ---- shutdown ----

  @Override
  public void shutdown() {
    boolean nobodyServing;
    lock.lock();
    try {
      if (lifecycle.beginShutdown()) {
        log.debug("Server {} shutting down with {} request(s) in flight", name, inFlight);
      }
      nobodyServing = !lifecycle.serving();
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
    return lifecycle.awaitTermination(timeout);
  }

  /**
   * True if the calling thread runs one of this server's handlers. A scan, not a scoped value
   * bound per request: it is asked only by close() and drain(), and a scoped value costs every
   * request an allocation and every parked handler three frames of stack.
   */
  @Override
  public boolean inHandler() {
    Thread me = Thread.currentThread();
    for (Task task : inFlightTasks()) {
      if (task.thread == me || task.inlineThread == me) {
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
    lifecycle.refuseDrainInHandler();
    shutdown();
    // Unlike shutdown() alone, which lets every connection go on until its client ends it, a
    // drain asks long-lived connections to end at their next quiet message boundary.
    for (Task task : inFlightTasks()) {
      acceptor.draining(task.request);
    }
    return lifecycle.drained(Server.super.drain(timeout), timeout);
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
    lock.lock();
    try {
      listenerClosed = true;
    } finally {
      lock.unlock();
    }
    lifecycle.tryTerminate();
  }

  /** With the lock held: the listener is closed and no request is left. */
  @Override
  public boolean quiescent() {
    return listenerClosed && inFlight == 0;
  }

  /** Once, when the server terminates. */
  @Override
  public void release() {
    try {
      acceptor.terminated();
    } finally {
      dispatcher.close();
    }
  }
}
