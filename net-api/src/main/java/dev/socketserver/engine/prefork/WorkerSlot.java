package dev.socketserver.engine.prefork;

import dev.socketserver.engine.telemetry.Logs;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * One worker's place in a {@link Supervisor}: its number, its counters file, the process now in
 * it if any, its restart back-off and the watchdog's view of its heartbeat. Guarded by the
 * supervisor's lock: every field and method is used with it held, but {@link #awaitListening}.
 *
 * <p>The watchdog. A worker that is alive but hung (stopped by SIGSTOP, frozen) still holds its
 * listening socket, and the kernel goes on handing it its share of the new connections, which
 * nobody accepts. So while the server runs, a check on the scheduler thread reads each serving
 * worker's heartbeat ({@link WorkerMetrics#heartbeat()}, advanced every
 * {@link WorkerLink#PUBLISH_INTERVAL}) every tenth of the heartbeat timeout (100 ms .. 1 s) and
 * notes, by this process's clock, when it last saw it advance: nanoTime is never compared across
 * processes, and a supervisor that was itself paused sees the heartbeat advanced, not a silence.
 * A worker silent for longer than the timeout is logged (one WARN), killed with SIGKILL and, once
 * it has exited, restarted like any worker that died. The clock starts when the worker serves:
 * a worker still starting (its JVM and the program's work before {@code build()}) is never
 * killed, however slow; after {@link Supervisor#STARTUP} it is reported once, since it serves nothing.
 */
final class WorkerSlot {
  private static final Logger log = Logs.get("dev.socketserver.Supervisor");
  private static final long STARTUP_POLL_MILLIS = 10;

  final int index;
  final Path file;
  final WorkerMetrics metrics;
  private final String server;
  @Nullable Process process;
  long startedNanos;
  int exitsInARow;
  long backoffMillis;
  @Nullable ScheduledFuture<?> restart;
  // The watchdog's view of the process now in this slot: the heartbeat it last saw and when it
  // saw it change (if it saw the worker serve yet), why it killed it, whether it warned of a
  // slow start.
  private boolean watched;
  private long heartbeat;
  private long heartbeatNanos;
  @Nullable String killedBecause;
  private boolean slowStartReported;

  WorkerSlot(int index, Path file, WorkerMetrics metrics, String server) {
    this.index = index;
    this.file = file;
    this.metrics = metrics;
    this.server = server;
  }

  /**
   * Waits until every worker listens or has exited at least once. Polls the workers' files every
   * 10 ms: this is the one place that waits for a worker's state, and only while starting.
   */
  static void awaitListening(List<WorkerSlot> slots, ReentrantLock lock, String name, List<String> command)
      throws IOException {
    long deadline = System.nanoTime() + Supervisor.STARTUP.toNanos();
    while (true) {
      int listening = 0;
      int undecided = 0;
      lock.lock();
      try {
        for (WorkerSlot slot : slots) {
          if (slot.metrics.state() != WorkerMetrics.STARTING) {
            listening++;
          } else if (slot.exitsInARow == 0) {
            undecided++;
          }
        }
      } finally {
        lock.unlock();
      }
      if (undecided == 0 || System.nanoTime() - deadline > 0) {
        if (listening == 0) {
          throw new IOException(
              "none of the " + slots.size() + " worker processes of " + name + " started listening"
                  + (undecided > 0 ? " within " + Supervisor.STARTUP : "") + "; their output (this process's"
                  + " stdout and stderr) says why. Workers run: " + command);
        }
        return;
      }
      try {
        Thread.sleep(STARTUP_POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while the workers of " + name + " started", e);
      }
    }
  }

  String describe(@Nullable Process p) {
    return "worker " + index + " of " + server + (p == null ? "" : " (pid " + p.pid() + ")");
  }

  /** A new process is about to start in this slot: it starts with clean counters and a clean watch. */
  void reset() {
    metrics.reset();
    watched = false;
    killedBecause = null;
    slowStartReported = false;
  }

  /**
   * The process in this slot exited: counts the exit and returns the back-off before the next
   * start, which doubles with each exit in a row and starts again from the first once a worker
   * ran {@link Supervisor#STABLE} or more.
   */
  long nextBackoffMillis() {
    boolean stable = System.nanoTime() - startedNanos >= Supervisor.STABLE.toNanos();
    exitsInARow = stable ? 1 : exitsInARow + 1;
    backoffMillis =
        stable || backoffMillis == 0
            ? Supervisor.FIRST_BACKOFF.toMillis()
            : Math.min(backoffMillis * 2, Supervisor.MAX_BACKOFF.toMillis());
    return backoffMillis;
  }

  /**
   * The watchdog's look at {@code p}, the serving process in this slot, at {@code now}: kills it
   * if its heartbeat has not advanced for longer than {@code timeoutNanos} (see {@link
   * Supervisor}); reports once a worker that has not served {@link Supervisor#STARTUP} after its
   * start.
   */
  void watch(Process p, long now, long timeoutNanos) {
    if (killedBecause != null) {
      return;
    }
    long workerState = metrics.state();
    if (workerState == WorkerMetrics.STARTING) {
      if (!slowStartReported && now - startedNanos > Supervisor.STARTUP.toNanos()) {
        slowStartReported = true;
        log.warn(
            "Worker {} of {} (pid {}) has been starting for {} ms and does not serve yet; not"
                + " killed: a worker's heartbeat is watched from when it serves",
            index, server, p.pid(), Duration.ofNanos(now - startedNanos).toMillis());
      }
      return;
    }
    if (workerState != WorkerMetrics.SERVING) {
      return; // its server terminated: it accepts nothing, so it holds no connection back
    }
    long beat = metrics.heartbeat();
    if (!watched || beat != heartbeat) {
      watched = true;
      heartbeat = beat;
      heartbeatNanos = now;
      return;
    }
    long silentNanos = now - heartbeatNanos;
    if (silentNanos > timeoutNanos) {
      killedBecause = "no heartbeat for " + TimeUnit.NANOSECONDS.toMillis(silentNanos)
          + " ms, heartbeat timeout " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms";
      log.warn(
          "Worker {} of {} (pid {}) is hung: {}; killing it (SIGKILL)",
          index, server, p.pid(), killedBecause);
      p.destroyForcibly();
    }
  }
}
