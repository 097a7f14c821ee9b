package dev.socketserver.engine.core;

import static dev.socketserver.engine.core.RequestLog.log;

import dev.socketserver.spi.ServerSettings;
import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.engine.telemetry.Limit;
import dev.socketserver.spi.Acceptor;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The serving side of a {@link ServerCore}: accepts within the limit on requests in flight and
 * hands each request to the core, for {@code serveForever()} (until shutdown) or for one
 * {@code handleRequest(timeout)}; runs the service action and the timeout hook; backs off when
 * accepting fails. Confined to the serving thread, which the {@link Lifecycle} makes one at a
 * time.
 *
 * @param <R> the request type
 */
final class AcceptLoop<R> {
  // Accept failures (EMFILE, ENFILE, ENOBUFS) back off exponentially between these bounds.
  private static final long ACCEPT_RETRY_MIN_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  private static final long ACCEPT_RETRY_MAX_NANOS = TimeUnit.SECONDS.toNanos(1);
  // At most this many queued requests are taken on the way out of a shutdown (a flood then
  // cannot keep the serving thread from leaving).
  private static final int MAX_QUEUED = 1024;

  private final String name;
  private final ServerCore<R> core;
  private final Lifecycle lifecycle;
  private final Acceptor<R> acceptor;
  private final Counters counters;
  private final RequestLog<R> requestLog;
  private final int limit;
  private final Runnable timeoutHook;
  private final @Nullable Runnable serviceAction;
  private final long serviceIntervalNanos;
  // The next pause after a failed accept.
  private long acceptRetryNanos = ACCEPT_RETRY_MIN_NANOS;

  AcceptLoop(
      String name, ServerCore<R> core, Lifecycle lifecycle, Acceptor<R> acceptor, Counters counters,
      RequestLog<R> requestLog, ServerSettings<R> settings) {
    this.name = name;
    this.core = core;
    this.lifecycle = lifecycle;
    this.acceptor = acceptor;
    this.counters = counters;
    this.requestLog = requestLog;
    this.limit = Dispatcher.inProcess(settings.concurrency()).limit();
    this.timeoutHook = settings.timeoutHook();
    this.serviceAction = settings.serviceAction().orElse(null);
    this.serviceIntervalNanos = settings.serviceInterval().toNanos();
  }

  /** The serving loop, on the thread the lifecycle registered; ends when the server stops running. */
  void serve() {
    try {
      long nextService = System.nanoTime() + serviceIntervalNanos;
      while (true) {
        if (Thread.currentThread().isInterrupted()) {
          log.info("Serving thread of {} interrupted: shutting down", name);
          core.shutdown();
          return;
        }
        long wait = serviceAction == null ? -1 : Math.max(0, nextService - System.nanoTime());
        int slot = awaitSlot(wait);
        if (slot < 0 || (slot > 0 && acceptOne(wait) < 0)) {
          acceptQueued();
          return;
        }
        Runnable action = serviceAction;
        if (action != null && System.nanoTime() - nextService >= 0) {
          runHook("service action", action);
          nextService = System.nanoTime() + serviceIntervalNanos;
        }
      }
    } finally {
      core.exitServing();
    }
  }

  /** {@code Server.handleRequest}, on a thread the lifecycle registered. */
  boolean handleOne(Duration timeout) {
    if (!lifecycle.enterHandleRequest(timeout)) {
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
      core.exitServing();
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
      if (!lifecycle.running()) {
        return -1;
      }
      // Out of descriptors or buffers: nothing to accept with until some close. Back off
      // exponentially, so an exhausted server neither spins nor floods the log.
      long pause = acceptRetryNanos;
      acceptRetryNanos = Math.min(ACCEPT_RETRY_MAX_NANOS, pause * 2);
      requestLog.acceptFailed(name, e, pause);
      pause(pause);
      return lifecycle.running() ? 0 : -1;
    }
    acceptRetryNanos = ACCEPT_RETRY_MIN_NANOS;
    if (request != null) {
      // Accepted before or after shutdown began, it is served all the same: nothing accepted is lost.
      core.dispatch(request);
      return 1;
    }
    return lifecycle.running() ? 0 : -1;
  }

  /**
   * On the way out of a shutdown: accepts and serves what the kernel had already queued (up to the
   * limit, and {@link #MAX_QUEUED}), since closing the listener would reset those connections after
   * their clients (a balancer) may have sent a request that cannot be retried. What arrives after
   * this sweep and before the close is still reset: a window of microseconds, not of a backlog.
   */
  private void acceptQueued() {
    for (int i = 0; i < MAX_QUEUED && core.inFlight() < limit; i++) {
      R request;
      try {
        request = acceptor.accept(0);
      } catch (IOException e) {
        return; // the listener is closing or broken: nothing more to take
      }
      if (request == null) {
        return;
      }
      core.dispatch(request);
    }
  }

  /**
   * Waits until a request may be accepted within the limit: returns 1 then, 0 if
   * {@code waitNanos} passed first (negative: no deadline), -1 if the server stopped running.
   */
  private int awaitSlot(long waitNanos) {
    ReentrantLock lock = lifecycle.lock();
    lock.lock();
    try {
      long left = waitNanos;
      if (lifecycle.running() && core.inFlight() >= limit) {
        counters.hit(Limit.CONCURRENCY, name, limit);
      }
      while (lifecycle.running() && core.inFlight() >= limit) {
        if (waitNanos < 0) {
          lifecycle.changed().await();
        } else if (left <= 0) {
          return 0;
        } else {
          left = lifecycle.changed().awaitNanos(left);
        }
      }
      return lifecycle.running() ? 1 : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.info("Serving thread of {} interrupted: shutting down", name);
      lifecycle.beginShutdown();
      return -1;
    } finally {
      lock.unlock();
    }
  }

  private void pause(long nanos) {
    try {
      long left = nanos;
      while (left > 0 && lifecycle.running()) {
        left = lifecycle.awaitChange(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  void runHook(String what, Runnable hook) {
    try {
      hook.run();
    } catch (RuntimeException e) {
      log.warn("The {} of {} failed", what, name, e);
    }
  }
}
