package dev.socketserver.engine.core;

import static dev.socketserver.engine.core.RequestLog.log;

import dev.socketserver.api.Handlers;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.spi.Acceptor;
import dev.socketserver.spi.Resumable;
import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * One request on its thread: prepare (TLS handshake, PROXY header), filter, handler, finish.
 * The filter runs here rather than on the serving thread so that it sees the prepared request
 * (the real client address, the TLS identity) and a slow one never stalls accepting.
 *
 * <p>Thread-safety: run by one thread at a time (its own, then, served in turns, each turn's in
 * order); {@link #stop()} and the in-flight links come from other threads, as their comments say.
 *
 * @param <R> the request type
 */
final class ServedRequest<R> implements Runnable {

  /** What every request of one server shares: its parts, and what to call when one is done. */
  record Context<R>(
      Acceptor<R> acceptor,
      Counters counters,
      RequestLog<R> requestLog,
      @Nullable Predicate<? super R> filter,
      RequestHandler<? super R> handler,
      boolean virtualLoop,
      Dispatcher dispatcher,
      Consumer<ServedRequest<R>> done) {}

  private final Context<R> cx;
  final R request;
  private volatile R prepared;
  volatile @Nullable Thread thread;
  @Nullable ServedRequest<R> prev; // guarded by the server's lock, as next
  @Nullable ServedRequest<R> next;
  private volatile boolean stopped;
  // Set when the handler is served in turns (see Resumable): the request's state between turns,
  // each on its own thread. Written before the first turn ends; the connection's lock and
  // Thread.start order it before the next turn reads it.
  private Resumable.@Nullable Turns turns;
  // A non-blocking handler's turn on the poller: the poller thread while it serves the turn, for
  // inHandler() (never interrupted; written only by that thread, whose own reads are all that
  // matter); then the turn's failure, if it failed, for the thread the request is handed to to
  // report (written before that hand-off, a thread start, which orders it). One field for both,
  // which never overlap, so that an idle request stays as small as before non-blocking turns.
  private @Nullable Object inline;

  ServedRequest(Context<R> cx, R request) {
    this.cx = cx;
    this.request = request;
    this.prepared = request;
  }

  @Override
  public void run() {
    thread = Thread.currentThread();
    boolean waiting = false;
    try {
      Resumable.Turns t = turns;
      if (inline instanceof Throwable inlineFailed) {
        inline = null;
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
      cx.acceptor().finish(served);
    } catch (IOException | RuntimeException e) {
      log.debug("Closing the request from {} failed: {}", cx.acceptor().describe(served), e.toString());
    }
    Thread ran = thread;
    thread = null;
    if (stopped && ran == Thread.currentThread()) {
      Thread.interrupted(); // we interrupted it; a pool thread must not keep the flag
    }
    cx.done().accept(this);
  }

  /**
   * Prepares, filters and serves the request; returns true if it is served in turns and now
   * waits for input with no thread (this thread must then do nothing more with the request).
   */
  private boolean serve() {
    R r;
    try {
      r = cx.acceptor().prepare(request);
    } catch (IOException | RuntimeException e) {
      // Counted as a probe (and logged) first, as in failed(): whoever sees rejected grow finds
      // the probe counted too.
      try {
        if (probe(request)) {
          cx.requestLog().probe(request, e);
        } else {
          cx.requestLog().rejected(request, e);
        }
      } finally {
        cx.counters().rejected.increment();
      }
      return false;
    }
    prepared = r;
    Predicate<? super R> filter = cx.filter();
    if (filter != null && !admitted(filter, r)) {
      cx.counters().rejected.increment();
      cx.requestLog().filtered(r);
      return false;
    }
    Resumable.Turns inTurns = cx.virtualLoop() ? turnsOf(r) : null;
    if (inTurns != null) {
      turns = inTurns;
      return turn(r, inTurns);
    }
    ClientMdc.PROVIDED.put(cx.acceptor(), r);
    try {
      cx.acceptor().verify(r);
      cx.handler().handle(r);
      completed(r);
    } catch (Throwable t) { // a handler's failure of any kind must not stop the server
      failed(r, t);
    } finally {
      ClientMdc.PROVIDED.remove();
    }
    return false;
  }

  /** True if {@code thread} serves a turn of this request on the poller now. */
  boolean servesInline(Thread thread) {
    return inline == thread;
  }

  /** Counts {@code r} as a probe if it was one, then as completed (see {@link #failed}). */
  private void completed(R r) {
    probe(r);
    cx.counters().completed.increment();
  }

  /**
   * Logs the failure (or gives it to the error handler), as a probe if the client sent nothing (a
   * health check), and only then counts it: whoever sees {@code failed} grow finds the failure
   * reported.
   */
  private void failed(R r, Throwable t) {
    try {
      if (probe(r)) {
        cx.requestLog().probe(r, t);
      } else {
        cx.requestLog().failed(r, t, stopped);
      }
    } finally {
      cx.counters().failed.increment();
    }
  }

  /** Counts {@code r} as a probe if its client sent nothing; returns whether it did. */
  private boolean probe(R r) {
    if (cx.acceptor().silent(r)) {
      cx.counters().probes.increment();
      return true;
    }
    return false;
  }

  /**
   * The turns in which the handler serves {@code r}, if both allow it: a {@link Handlers.Framed}
   * handler and a request that can wait for input with no thread; else null.
   */
  private Resumable.@Nullable Turns turnsOf(R r) {
    return cx.handler() instanceof Handlers.Framed framed && r instanceof Resumable resumable
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
    inline = Thread.currentThread();
    Throwable failed = null;
    ClientMdc.PROVIDED.put(cx.acceptor(), prepared);
    try {
      if (t.serveInline()) {
        return; // waits for input again; a next turn may already run (not on this thread)
      }
    } catch (Throwable e) { // reported on the request's thread, not the poller's
      failed = e;
    } finally {
      inline = failed;
      ClientMdc.PROVIDED.remove();
    }
    start();
  }

  private void reportInlineFailure(R r, Throwable t) {
    ClientMdc.PROVIDED.put(cx.acceptor(), r);
    try {
      failed(r, t);
    } finally {
      ClientMdc.PROVIDED.remove();
    }
  }

  /**
   * One turn of a handler served in turns: answers what the connection has read. Returns true
   * if the connection now waits for input with no thread: the next turn may already be running
   * on another thread, so this one must do nothing more with the request.
   */
  private boolean turn(R r, Resumable.Turns t) {
    ClientMdc.PROVIDED.put(cx.acceptor(), r);
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
      ClientMdc.PROVIDED.remove();
    }
    return false;
  }

  /**
   * Hands this request to the policy's thread: at dispatch, and for each next turn (called by the
   * connection: the poller thread, or whoever closes it). If no thread can run it, the request
   * fails at once.
   */
  void start() {
    try {
      cx.dispatcher().execute(this);
    } catch (RejectedExecutionException | OutOfMemoryError e) {
      // OutOfMemoryError: no thread could be created. The request fails; the server carries on.
      cx.requestLog().noThread(prepared, e);
      cx.counters().failed.increment();
      cx.acceptor().abort(request);
      finish();
    }
  }

  /** Stops the request; returns false if it was stopped already. */
  synchronized boolean stop() {
    if (stopped) {
      return false;
    }
    stopped = true;
    cx.acceptor().abort(request); // first, so the woken handler cannot write any more
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
    return true;
  }

  private boolean admitted(Predicate<? super R> test, R r) {
    try {
      return test.test(r);
    } catch (RuntimeException e) {
      cx.requestLog().filterFailed(r, e);
      return false;
    }
  }
}
