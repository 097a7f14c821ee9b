package dev.socketserver.engine.core;

import static dev.socketserver.engine.core.RequestLog.log;

import dev.socketserver.spi.ServerSettings;
import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.engine.telemetry.Limit;
import dev.socketserver.spi.Acceptor;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The serving side of a {@link ServerCore}: accepts within the limit on requests in flight and
 * hands each request to the core, for {@code serveForever()} (until shutdown) or for one
 * {@code handleRequest(timeout)}; runs the service action and the timeout hook; backs off when
 * accepting fails. Confined to the serving thread, which the {@link Lifecycle} makes one at a
 * time, and to the lane threads it starts: an acceptor with several {@linkplain Acceptor#lanes()
 * lanes} (sockets sharing a port) is served by one thread per lane while {@code serveForever}
 * runs, each within the same limit: a lane waits for a request first, then reserves its slot
 * under the lock before dispatching, so N lanes never take the server past it. At the limit, lane
 * 0 holding a request waits for a slot before it runs the service action again.
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
  private final int lanes;
  // The next pause after a failed accept, per lane: each lane's thread touches only its own.
  private final long[] acceptRetryNanos;
  // Slots taken by lanes between their awaitSlot and the dispatch (or empty accept) that follows;
  // counted with the requests in flight against the limit. Guarded by the lifecycle's lock;
  // always 0 with one lane.
  private int reserved;

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
    this.lanes = acceptor.lanes();
    this.acceptRetryNanos = new long[lanes];
    Arrays.fill(acceptRetryNanos, ACCEPT_RETRY_MIN_NANOS);
  }

  /** The serving loop, on the thread the lifecycle registered; ends when the server stops running. */
  void serve() {
    Thread[] others = startLanes();
    boolean stopped = false;
    try {
      stopped = serveLane(0);
    } finally {
      if (others.length > 0) {
        acceptor.wakeup();
        joinUninterruptibly(others);
      }
      if (stopped) {
        acceptQueued();
      }
      core.exitServing();
    }
  }

  /** Starts a thread for each lane but the first, which the serving thread serves itself. */
  private Thread[] startLanes() {
    Thread[] others = new Thread[lanes - 1];
    String base = Thread.currentThread().getName();
    for (int i = 1; i < lanes; i++) {
      int lane = i;
      others[i - 1] = Thread.ofVirtual().name(base + " #" + i).start(() -> {
        try {
          serveLane(lane);
        } catch (RuntimeException | Error e) {
          log.error("Lane {} of {} failed: shutting down", lane, name, e);
          core.shutdown();
        }
      });
    }
    return others;
  }

  /**
   * Accepts on {@code lane} until the server stops running; returns true then, false if the
   * thread was interrupted (the server is then shut down). Lane 0 runs the service action.
   */
  private boolean serveLane(int lane) {
    long nextService = System.nanoTime() + serviceIntervalNanos;
    Runnable action = lane == 0 ? serviceAction : null;
    while (true) {
      if (Thread.currentThread().isInterrupted()) {
        log.info("Serving thread of {} interrupted: shutting down", name);
        core.shutdown();
        return false;
      }
      long wait = action == null ? -1 : Math.max(0, nextService - System.nanoTime());
      if (lanes == 1) {
        // A free slot first, then accept: at the limit, clients wait in the kernel's backlog.
        int slot = awaitSlot(wait);
        if (slot < 0 || (slot > 0 && acceptOne(wait) < 0)) {
          return true;
        }
      } else if (acceptOnLane(lane, wait) < 0) {
        return true;
      }
      if (action != null && System.nanoTime() - nextService >= 0) {
        runHook("service action", action);
        nextService = System.nanoTime() + serviceIntervalNanos;
      }
    }
  }

  /**
   * One step of a lane among several: waits for a request on {@code lane}, then for a free slot
   * (taken under the lock, so lanes never overshoot the limit), and dispatches it. The other way
   * round, a lane holding a slot while its socket is quiet would starve the busy lanes. A request
   * taken while the server stops is served all the same. Returns as {@link #acceptOne}.
   */
  private int acceptOnLane(int lane, long waitNanos) {
    R request;
    try {
      request = acceptor.accept(lane, waitNanos);
    } catch (IOException e) {
      return acceptFailed(lane, e);
    }
    acceptRetryNanos[lane] = ACCEPT_RETRY_MIN_NANOS;
    if (request == null) {
      return lifecycle.running() ? 0 : -1;
    }
    int slot = awaitSlot(-1);
    core.dispatch(request); // counted in flight before the reservation goes
    if (slot > 0) {
      unreserve();
    }
    return slot > 0 ? 1 : -1;
  }

  private static void joinUninterruptibly(Thread[] threads) {
    boolean interrupted = false;
    for (Thread t : threads) {
      while (true) {
        try {
          t.join();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
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
   * Accepts and dispatches at most one request (from any lane), after {@link #awaitSlot}, waiting
   * up to {@code waitNanos}: returns 1 if one was dispatched, 0 if none came, -1 if the server is
   * no longer running. Gives back the slot reserved with several lanes.
   */
  private int acceptOne(long waitNanos) {
    R request;
    try {
      request = acceptor.accept(waitNanos);
    } catch (IOException e) {
      unreserve();
      return acceptFailed(0, e);
    }
    acceptRetryNanos[0] = ACCEPT_RETRY_MIN_NANOS;
    if (request != null) {
      // Accepted before or after shutdown began, it is served all the same: nothing accepted is lost.
      core.dispatch(request); // counted in flight before the reservation goes
      unreserve();
      return 1;
    }
    unreserve();
    return lifecycle.running() ? 0 : -1;
  }

  /**
   * After a failed accept on {@code lane}: out of descriptors or buffers, nothing to accept with
   * until some close. Backs off exponentially, so an exhausted server neither spins nor floods
   * the log; returns 0, or -1 if the server no longer runs.
   */
  private int acceptFailed(int lane, IOException e) {
    if (!lifecycle.running()) {
      return -1;
    }
    long pause = acceptRetryNanos[lane];
    acceptRetryNanos[lane] = Math.min(ACCEPT_RETRY_MAX_NANOS, pause * 2);
    requestLog.acceptFailed(name, e, pause);
    pause(pause);
    return lifecycle.running() ? 0 : -1;
  }

  /**
   * Gives back a lane's reserved slot. Always signals: the request it was reserved for may have
   * ended already (its end signalled while the reservation still counted), so a lane waiting for
   * a slot must look again now.
   */
  private void unreserve() {
    if (lanes == 1) {
      return;
    }
    ReentrantLock lock = lifecycle.lock();
    lock.lock();
    try {
      reserved--;
      lifecycle.changed().signalAll();
    } finally {
      lock.unlock();
    }
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
   * Waits until a request may be accepted within the limit (with several lanes, reserving the
   * slot, which {@link #acceptOne} gives back): returns 1 then, 0 if
   * {@code waitNanos} passed first (negative: no deadline), -1 if the server stopped running.
   */
  private int awaitSlot(long waitNanos) {
    ReentrantLock lock = lifecycle.lock();
    lock.lock();
    try {
      long left = waitNanos;
      if (lifecycle.running() && core.inFlight() + reserved >= limit) {
        counters.hit(Limit.CONCURRENCY, name, limit);
      }
      while (lifecycle.running() && core.inFlight() + reserved >= limit) {
        if (waitNanos < 0) {
          lifecycle.changed().await();
        } else if (left <= 0) {
          return 0;
        } else {
          left = lifecycle.changed().awaitNanos(left);
        }
      }
      if (!lifecycle.running()) {
        return -1;
      }
      if (lanes > 1) {
        reserved++;
      }
      return 1;
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
