package dev.socketserver.engine.core;

import dev.socketserver.api.DrainReport;
import dev.socketserver.api.Server;
import dev.socketserver.api.Server.State;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * The lifecycle of one {@link Server} of the engine, the same for a {@link ServerCore} and for
 * the prefork supervisor: the state (NEW → RUNNING → SHUTTING_DOWN → TERMINATED), the one
 * serving thread, termination exactly once, {@code awaitTermination}, and {@code drain}'s refusal
 * to run inside a handler. What keeps a server from terminating besides its serving thread
 * (requests in flight, an open listener, live worker processes) is its {@link Owner}'s to say.
 *
 * <p>Thread-safety: everything is guarded by {@link #lock()}, which the owner uses for its own
 * state too, so that one lock orders "the last request is done" and "terminate"; every method
 * may be called with it held or not, except {@link #terminate()} and {@link #tryTerminate()},
 * which call the owner's {@link Owner#release()} and must be called without it.
 */
public final class Lifecycle {

  /** What the lifecycle asks of the server it runs. */
  public interface Owner {
    /**
     * Returns, with the lock held, whether nothing but the lifecycle keeps the server from
     * terminating once it is shut down: no request in flight, no listener open, no worker left.
     */
    boolean quiescent();

    /** Releases what is left; called once, without the lock, just before TERMINATED. */
    void release();

    /** Returns whether the calling thread runs one of the server's handlers; none by default. */
    default boolean inHandler() {
      return false;
    }
  }

  private final String name;
  private final Logger log;
  private final Owner owner;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  // Guarded by lock.
  private State state = State.NEW;
  private @Nullable Thread servingThread;
  private boolean terminating;

  /** Creates the lifecycle of the server {@code name}, in state NEW; it logs to {@code log}. */
  public Lifecycle(String name, Logger log, Owner owner) {
    this.name = name;
    this.log = log;
    this.owner = owner;
  }

  /** Returns the lock that guards the lifecycle, and the owner's state with it. */
  public ReentrantLock lock() {
    return lock;
  }

  /** Returns the condition signalled on every change of the lifecycle or of the owner's state. */
  public Condition changed() {
    return changed;
  }

  /** Returns the current state. */
  public State state() {
    lock.lock();
    try {
      return state;
    } finally {
      lock.unlock();
    }
  }

  /** Returns whether the server accepts requests: RUNNING. */
  public boolean running() {
    return state() == State.RUNNING;
  }

  /** Returns whether a thread serves the server now. */
  public boolean serving() {
    lock.lock();
    try {
      return servingThread != null;
    } finally {
      lock.unlock();
    }
  }

  /** Returns the server as its {@code toString} shows it: {@code Server[<name>, <state>]}. */
  public String describe() {
    return "Server[" + name + ", " + state() + "]";
  }

  // ---- the serving thread ----

  /**
   * Registers {@code thread} as the serving thread, moving NEW to RUNNING; returns false if the
   * server no longer runs.
   *
   * @throws IllegalStateException if another thread serves
   */
  public boolean enterServing(Thread thread) {
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
        throw new IllegalStateException(describe() + " is already being served by thread " + serving.getName());
      }
      servingThread = thread;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Starts one {@code handleRequest(timeout)} on the calling thread: checks the timeout, then
   * {@linkplain #enterServing enters serving}; returns false if the server no longer runs.
   *
   * @throws IllegalArgumentException if {@code timeout} is negative
   * @throws IllegalStateException if another thread serves
   */
  public boolean enterHandleRequest(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout < 0: " + timeout);
    }
    return enterServing(Thread.currentThread());
  }

  /**
   * Unregisters the serving thread, which leaves the loop; returns whether the server has stopped
   * running (it may then terminate, which this checks). Called without the lock.
   */
  public boolean exitServing() {
    boolean stopped;
    boolean terminate;
    lock.lock();
    try {
      servingThread = null;
      stopped = state != State.RUNNING;
      terminate = claimTermination();
    } finally {
      lock.unlock();
    }
    if (terminate) {
      terminate();
    }
    return stopped;
  }

  /**
   * Runs {@code loop} (which must {@link #exitServing()} when it ends) on the calling thread, or
   * with {@code virtual} on a virtual thread that the calling thread waits for; interrupting the
   * calling thread then interrupts the loop. Returns at once if the server no longer runs.
   */
  public void serveForever(Runnable loop, boolean virtual) {
    if (!virtual) {
      if (enterServing(Thread.currentThread())) {
        loop.run();
      }
      return;
    }
    Thread thread = Thread.ofVirtual().name("socketserver-serve " + name).unstarted(loop);
    if (enterServing(thread)) {
      thread.start();
      awaitLoop(thread);
    }
  }

  /**
   * Runs {@code loop} as {@link #serveForever} does, on a new thread that keeps the JVM alive: a
   * non-daemon platform thread (with {@code virtual}, one that waits for the virtual thread).
   *
   * @throws IllegalStateException if the server is already served or was shut down
   */
  public void start(Runnable loop, boolean virtual) {
    Thread thread = virtual
        ? Thread.ofVirtual().name("socketserver-serve " + name).unstarted(loop)
        : Thread.ofPlatform().name("socketserver-serve " + name).daemon(false).unstarted(loop);
    if (!enterServing(thread)) {
      throw new IllegalStateException("cannot start " + describe() + ": it was shut down");
    }
    if (virtual) {
      // Virtual threads are daemons: this one keeps the JVM alive, as start() promises.
      Thread.ofPlatform().name("socketserver-serve " + name + " (waiting)").daemon(false).start(() -> {
        thread.start();
        awaitLoop(thread);
      });
    } else {
      thread.start();
    }
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

  /**
   * Waits while the server runs, at most {@code nanos} (negative: no deadline); returns the
   * nanoseconds left. Wakes on every {@link #changed()} signal, so the caller re-checks its own
   * condition.
   */
  @SuppressWarnings("WaitNotInLoop") // one wait by design: every caller loops on its own condition
  public long awaitChange(long nanos) throws InterruptedException {
    lock.lock();
    try {
      if (state != State.RUNNING) {
        return nanos;
      }
      if (nanos < 0) {
        changed.await();
        return nanos;
      }
      return nanos == 0 ? 0 : changed.awaitNanos(nanos);
    } finally {
      lock.unlock();
    }
  }

  // ---- shutdown and termination ----

  /**
   * Moves NEW or RUNNING to SHUTTING_DOWN and wakes every waiter; returns whether this call made
   * the move. Does not terminate: the owner closes what it must, then calls {@link #tryTerminate()}.
   */
  public boolean beginShutdown() {
    lock.lock();
    try {
      changed.signalAll();
      if (state == State.NEW || state == State.RUNNING) {
        state = State.SHUTTING_DOWN;
        return true;
      }
      return false;
    } finally {
      lock.unlock();
    }
  }

  /**
   * With the lock held: wakes every waiter, and returns true, exactly once, when the server is
   * shut down, nobody serves it and its owner is {@link Owner#quiescent() quiescent}; the caller
   * must then call {@link #terminate()} once it has released the lock.
   */
  public boolean claimTermination() {
    changed.signalAll();
    if (state == State.SHUTTING_DOWN && servingThread == null && !terminating && owner.quiescent()) {
      terminating = true;
      return true;
    }
    return false;
  }

  /** {@link #claimTermination()}, and {@link #terminate()} if claimed; without the lock. */
  public void tryTerminate() {
    boolean terminate;
    lock.lock();
    try {
      terminate = claimTermination();
    } finally {
      lock.unlock();
    }
    if (terminate) {
      terminate();
    }
  }

  /** After a successful {@link #claimTermination()}: releases the owner's rest, then TERMINATED. */
  public void terminate() {
    try {
      owner.release();
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

  /** {@link Server#awaitTermination}. */
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
   * Refuses a drain from inside one of the server's handlers, which would wait for itself.
   *
   * @throws IllegalStateException if the calling thread runs one of the server's handlers
   */
  public void refuseDrainInHandler() {
    if (owner.inHandler()) {
      throw new IllegalStateException(
          "drain() from a handler of " + name + " would wait for itself: call shutdown() there");
    }
  }

  /** Logs a forced drain once it is over; returns {@code report}. */
  public DrainReport drained(DrainReport report, Duration timeout) {
    if (!report.graceful()) {
      log.warn(
          "Drain forced on {}: deadline of {} passed, {} request(s) cut{}",
          name, timeout, report.cut(),
          report.terminated() ? "" : ", some still running: given up on them");
    }
    return report;
  }
}
