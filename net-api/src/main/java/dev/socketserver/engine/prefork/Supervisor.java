package dev.socketserver.engine.prefork;

import dev.socketserver.engine.core.ChannelTimeouts;
import dev.socketserver.engine.telemetry.Logs;

import dev.socketserver.api.Server;
import dev.socketserver.api.ServerMetrics;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * The {@link Server} of a {@code processes(n)} server in the process that built it: starts the
 * worker processes, restarts those that die, drains them on shutdown and sums their counters.
 * It accepts nothing itself; its only socket is the reservation, a bound socket that does not
 * receive (see {@link Prefork}).
 *
 * <p>Workers are started by {@link #start} and supervised from then on, whether or not anybody
 * serves: {@code serveForever()} only waits for {@code shutdown()}, like the accept loop of a
 * one-process server would. A worker that exits while the server runs is restarted after a
 * back-off that doubles with each exit in a row (from {@link #FIRST_BACKOFF} to
 * {@link #MAX_BACKOFF}) and starts again from the first once a worker ran {@link #STABLE} or more,
 * so a crash loop costs one JVM start every 30 s at most. Each exit is logged with its status.
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
 * killed, however slow; after {@link #STARTUP} it is reported once, since it serves nothing.
 *
 * <p>Shutdown closes each worker's standard input, which makes it drain ({@link WorkerLink});
 * {@code close()} waits for the workers up to the drain deadline (plus {@link #EXIT_GRACE} for
 * the worker's own force-close and exit), then kills what is left. A JVM shutdown hook closes the
 * server if the program did not, so no worker outlives the supervisor; if the supervisor is
 * killed outright, its workers see their input end and drain anyway.
 *
 * <p>Thread-safety: the state and the slots are guarded by {@link #lock}. Process exits are
 * handled on the threads that complete {@link Process#onExit()}, restarts on one scheduler thread.
 */
final class Supervisor implements Server {
  private static final Logger log = Logs.get("dev.socketserver.Supervisor");
  static final Duration FIRST_BACKOFF = Duration.ofMillis(250);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
  static final Duration STABLE = Duration.ofSeconds(10);
  static final Duration EXIT_GRACE = Duration.ofSeconds(10);
  /** How long build() waits for the first workers to listen. */
  static final Duration STARTUP = Duration.ofSeconds(60);
  private static final long STARTUP_POLL_MILLIS = 10;
  private static final long MIN_WATCH_MILLIS = 100;
  private static final long MAX_WATCH_MILLIS = 1000;

  private final String name;
  private final List<String> command;
  private final int key;
  private final InetSocketAddress address;
  private final Closeable reservation;
  private final Duration drainTimeout;
  private final long heartbeatTimeoutNanos; // saturated: any Duration is a valid timeout
  private final List<Slot> slots = new ArrayList<>();
  private final ScheduledExecutorService restarts;
  private final Thread closeAtExit = Thread.ofPlatform().unstarted(this::close);

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  // Guarded by lock.
  private State state = State.NEW;
  private @Nullable Thread servingThread;
  private boolean terminating;
  private ServerMetrics retired = WorkerMetrics.ZERO;

  /** One worker's place: its number, its counters file and the process now in it, if any. */
  private final class Slot {
    final int index;
    final Path file;
    final WorkerMetrics metrics;
    // Guarded by lock.
    @Nullable Process process;
    long startedNanos;
    int exitsInARow;
    long backoffMillis;
    @Nullable ScheduledFuture<?> restart;
    // The watchdog's view of the process now in this slot: the heartbeat it last saw and when it
    // saw it change (if it saw the worker serve yet), why it killed it, whether it warned of a
    // slow start.
    boolean watched;
    long heartbeat;
    long heartbeatNanos;
    @Nullable String killedBecause;
    boolean slowStartReported;

    Slot(int index, Path file, WorkerMetrics metrics) {
      this.index = index;
      this.file = file;
      this.metrics = metrics;
    }

    String describe(@Nullable Process p) {
      return "worker " + index + " of " + name + (p == null ? "" : " (pid " + p.pid() + ")");
    }
  }

  private Supervisor(
      String name, List<String> command, int key, InetSocketAddress address,
      Closeable reservation, Duration drainTimeout, Duration heartbeatTimeout) {
    this.name = name;
    this.command = command;
    this.key = key;
    this.address = address;
    this.reservation = reservation;
    this.drainTimeout = drainTimeout;
    this.heartbeatTimeoutNanos = ChannelTimeouts.nanos(heartbeatTimeout);
    this.restarts =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("socketserver-supervisor " + name).factory());
  }

  /**
   * Starts {@code workers} worker processes for the server with key {@code key} of this program,
   * bound to {@code reservation}'s address, and returns once each listens or has died at least
   * once; from then on a worker silent for {@code heartbeatTimeout} is killed and restarted.
   * Takes ownership of the reservation; on failure everything is released.
   *
   * @throws IOException if no worker started listening: the message names the exit statuses
   */
  static Supervisor start(
      String transport, int key, int workers, Prefork.Reserved reserved, Duration drainTimeout,
      Duration heartbeatTimeout, List<String> command) throws IOException {
    InetSocketAddress address = reserved.address();
    Supervisor s =
        new Supervisor(
            transport + " " + address + " x" + workers, command, key, address, reserved.holder(),
            drainTimeout, heartbeatTimeout);
    try {
      for (int i = 0; i < workers; i++) {
        Path file = Files.createTempFile("socketserver-worker-" + i + "-", ".counters");
        s.slots.add(s.new Slot(i, file, WorkerMetrics.open(file)));
      }
      Runtime.getRuntime().addShutdownHook(s.closeAtExit);
      s.lock.lock();
      try {
        for (Slot slot : s.slots) {
          s.launch(slot);
        }
      } finally {
        s.lock.unlock();
      }
      long every =
          Math.clamp(TimeUnit.NANOSECONDS.toMillis(s.heartbeatTimeoutNanos) / 10, MIN_WATCH_MILLIS, MAX_WATCH_MILLIS);
      var _ = s.restarts.scheduleWithFixedDelay(s::watch, every, every, TimeUnit.MILLISECONDS);
      s.awaitListening();
    } catch (IOException | RuntimeException e) {
      s.shutdownNow();
      s.awaitQuietly();
      throw e;
    }
    log.info(
        "Server {} supervising {} worker processes (heartbeat timeout {} ms): {}",
        s.name, workers, TimeUnit.NANOSECONDS.toMillis(s.heartbeatTimeoutNanos), s.command);
    return s;
  }

  /**
   * Waits until every worker listens or has exited at least once. Polls the workers' files every
   * 10 ms: this is the one place that waits for a worker's state, and only while starting.
   */
  private void awaitListening() throws IOException {
    long deadline = System.nanoTime() + STARTUP.toNanos();
    while (true) {
      int listening = 0;
      int undecided = 0;
      lock.lock();
      try {
        for (Slot slot : slots) {
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
                  + (undecided > 0 ? " within " + STARTUP : "") + "; their output (this process's"
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

  // lock held
  private void launch(Slot slot) {
    slot.restart = null;
    if (state != State.NEW && state != State.RUNNING) {
      return;
    }
    slot.metrics.reset();
    slot.watched = false;
    slot.killedBecause = null;
    slot.slowStartReported = false;
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectOutput(ProcessBuilder.Redirect.INHERIT)
            .redirectError(ProcessBuilder.Redirect.INHERIT); // stdin: a pipe, see WorkerLink
    builder.environment().put(
        WorkerEnvironment.VARIABLE,
        new WorkerEnvironment(slot.index, slots.size(), key, address, slot.file).format());
    try {
      Process p = builder.start();
      slot.process = p;
      slot.startedNanos = System.nanoTime();
      log.debug("Started {}", slot.describe(p));
      var _ = p.onExit().thenRun(() -> exited(slot, p));
    } catch (IOException e) {
      log.error("Cannot start {}: {}", slot.describe(null), e.toString());
      slot.startedNanos = System.nanoTime();
      scheduleRestart(slot, "could not start");
    }
  }

  /** Runs when a worker's process has ended. */
  @SuppressWarnings("ReferenceEquality") // the very process this slot last started, not an equal one
  private void exited(Slot slot, Process p) {
    boolean terminate;
    lock.lock();
    try {
      if (slot.process != p) {
        return;
      }
      slot.process = null;
      ServerMetrics last = slot.metrics.read();
      retired = WorkerMetrics.sum(retired, WorkerMetrics.retired(last));
      slot.metrics.reset();
      String killed = slot.killedBecause;
      String status = (killed != null ? "was killed as hung (" + killed + "), " : "")
          + "exited with status " + p.exitValue() + " after "
          + Duration.ofNanos(System.nanoTime() - slot.startedNanos).toMillis() + " ms";
      if (state == State.NEW || state == State.RUNNING) {
        scheduleRestart(slot, status);
      } else {
        log.debug("{} {} while draining", slot.describe(p), status);
      }
      terminate = signalChange();
    } finally {
      lock.unlock();
    }
    if (terminate) {
      terminate();
    }
  }

  // lock held
  private void scheduleRestart(Slot slot, String what) {
    boolean stable = System.nanoTime() - slot.startedNanos >= STABLE.toNanos();
    slot.exitsInARow = stable ? 1 : slot.exitsInARow + 1;
    slot.backoffMillis =
        stable || slot.backoffMillis == 0
            ? FIRST_BACKOFF.toMillis()
            : Math.min(slot.backoffMillis * 2, MAX_BACKOFF.toMillis());
    log.warn(
        "Worker {} of {} {}; restarting it in {} ms ({} exit(s) in a row)",
        slot.index, name, what, slot.backoffMillis, slot.exitsInARow);
    slot.restart = restarts.schedule(() -> relaunch(slot), slot.backoffMillis, TimeUnit.MILLISECONDS);
  }

  private void relaunch(Slot slot) {
    lock.lock();
    try {
      launch(slot);
    } finally {
      lock.unlock();
    }
  }

  /**
   * On the scheduler thread, every tenth of the heartbeat timeout (100 ms .. 1 s): kills the
   * serving workers whose heartbeat stopped (the class comment).
   */
  private void watch() {
    lock.lock();
    try {
      if (state != State.NEW && state != State.RUNNING) {
        return;
      }
      long now = System.nanoTime();
      for (Slot slot : slots) {
        Process p = slot.process;
        if (p != null && slot.killedBecause == null) {
          watch(slot, p, now);
        }
      }
    } catch (RuntimeException e) { // would end the periodic check silently
      log.error("Watching the workers of {} failed", name, e);
    } finally {
      lock.unlock();
    }
  }

  // lock held
  private void watch(Slot slot, Process p, long now) {
    long workerState = slot.metrics.state();
    if (workerState == WorkerMetrics.STARTING) {
      if (!slot.slowStartReported && now - slot.startedNanos > STARTUP.toNanos()) {
        slot.slowStartReported = true;
        log.warn(
            "Worker {} of {} (pid {}) has been starting for {} ms and does not serve yet; not"
                + " killed: a worker's heartbeat is watched from when it serves",
            slot.index, name, p.pid(), Duration.ofNanos(now - slot.startedNanos).toMillis());
      }
      return;
    }
    if (workerState != WorkerMetrics.SERVING) {
      return; // its server terminated: it accepts nothing, so it holds no connection back
    }
    long beat = slot.metrics.heartbeat();
    if (!slot.watched || beat != slot.heartbeat) {
      slot.watched = true;
      slot.heartbeat = beat;
      slot.heartbeatNanos = now;
      return;
    }
    long silentNanos = now - slot.heartbeatNanos;
    if (silentNanos > heartbeatTimeoutNanos) {
      slot.killedBecause = "no heartbeat for " + TimeUnit.NANOSECONDS.toMillis(silentNanos)
          + " ms, heartbeat timeout " + TimeUnit.NANOSECONDS.toMillis(heartbeatTimeoutNanos) + " ms";
      log.warn(
          "Worker {} of {} (pid {}) is hung: {}; killing it (SIGKILL)",
          slot.index, name, p.pid(), slot.killedBecause);
      p.destroyForcibly();
    }
  }

  @Override
  public SocketAddress localAddress() {
    return address;
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

  /**
   * Returns the workers' counters summed: those of the workers now running (at most
   * {@link WorkerLink#PUBLISH_INTERVAL} old) plus the final ones of the workers that exited.
   */
  @Override
  public ServerMetrics metrics() {
    lock.lock();
    try {
      ServerMetrics sum = retired;
      for (Slot slot : slots) {
        if (slot.process != null) {
          sum = WorkerMetrics.sum(sum, slot.metrics.read());
        }
      }
      return sum;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "Server[" + name + ", " + state() + "]";
  }

  /** Waits until {@link #shutdown()}: the workers serve, and are supervised all along. */
  @Override
  public void serveForever() {
    if (enterServing(Thread.currentThread())) {
      awaitShutdown();
    }
  }

  @Override
  public Server start() {
    Thread thread =
        Thread.ofPlatform().name("socketserver-serve " + name).daemon(false).unstarted(this::awaitShutdown);
    if (!enterServing(thread)) {
      throw new IllegalStateException("cannot start " + this + ": it was shut down");
    }
    thread.start();
    return this;
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
        throw new IllegalStateException(this + " is already being served by thread " + serving.getName());
      }
      servingThread = thread;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** On the serving thread: returns once the server stops running. */
  private void awaitShutdown() {
    boolean interrupted = false;
    lock.lock();
    try {
      while (state == State.RUNNING) {
        changed.await();
      }
    } catch (InterruptedException e) {
      interrupted = true;
    } finally {
      servingThread = null;
      lock.unlock();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
      log.info("Serving thread of {} interrupted: shutting down", name);
      shutdown();
    }
  }

  /**
   * Not supported: requests are accepted by the worker processes, never here.
   *
   * @throws UnsupportedOperationException always
   */
  @Override
  public boolean handleRequest(Duration timeout) {
    throw new UnsupportedOperationException(
        "handleRequest is not supported with Concurrency.processes(n): the worker processes accept"
            + " the requests; use serveForever() or start()");
  }

  @Override
  public void shutdown() {
    boolean terminate;
    lock.lock();
    try {
      if (state == State.NEW || state == State.RUNNING) {
        state = State.SHUTTING_DOWN;
        log.info("Server {} shutting down: draining its workers", name);
      }
      for (Slot slot : slots) {
        ScheduledFuture<?> pending = slot.restart;
        if (pending != null) {
          pending.cancel(false);
          slot.restart = null;
        }
        Process p = slot.process;
        if (p != null) {
          try {
            p.getOutputStream().close(); // end of input: the worker drains (WorkerLink)
          } catch (IOException e) {
            log.debug("Closing the pipe to {} failed: {}", slot.describe(p), e.toString());
          }
        }
      }
      terminate = signalChange();
    } finally {
      lock.unlock();
    }
    if (terminate) {
      terminate();
    }
  }

  /** Shuts down and kills every worker at once ({@code kill -9}): their requests end with them. */
  @Override
  public void shutdownNow() {
    shutdown();
    lock.lock();
    try {
      for (Slot slot : slots) {
        Process p = slot.process;
        if (p != null) {
          p.destroyForcibly();
        }
      }
    } finally {
      lock.unlock();
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
   * Drains the workers, waiting for them up to the drain deadline plus {@link #EXIT_GRACE}, then
   * kills those left and waits for them to be gone.
   */
  @Override
  public void close() {
    shutdown();
    try {
      if (!awaitTermination(drainTimeout.plus(EXIT_GRACE))) {
        log.warn("Workers of {} still running {} after shutdown: killing them", name, drainTimeout.plus(EXIT_GRACE));
        shutdownNow();
        awaitQuietly();
      }
    } catch (InterruptedException e) {
      shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** After {@link #shutdownNow()}: waits for the killed workers, which takes milliseconds. */
  private void awaitQuietly() {
    try {
      if (!awaitTermination(EXIT_GRACE)) {
        log.error("Workers of {} did not exit {} after kill -9", name, EXIT_GRACE);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // lock held: wakes the waiters; true for exactly one caller, who must then call terminate()
  private boolean signalChange() {
    changed.signalAll();
    if (state != State.SHUTTING_DOWN || terminating) {
      return false;
    }
    for (Slot slot : slots) {
      if (slot.process != null) {
        return false;
      }
    }
    terminating = true;
    return true;
  }

  private void terminate() {
    restarts.shutdownNow();
    try {
      reservation.close();
    } catch (IOException e) {
      log.debug("Closing the reservation of {} failed: {}", name, e.toString());
    }
    for (Slot slot : slots) {
      try {
        slot.metrics.close();
        Files.deleteIfExists(slot.file);
      } catch (IOException e) {
        log.debug("Removing {} failed: {}", slot.file, e.toString());
      }
    }
    try {
      Runtime.getRuntime().removeShutdownHook(closeAtExit);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook is running or has run
    }
    log.info("Server {} terminated: every worker exited", name);
    lock.lock();
    try {
      state = State.TERMINATED;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
