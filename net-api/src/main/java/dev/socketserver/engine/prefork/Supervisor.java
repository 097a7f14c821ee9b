package dev.socketserver.engine.prefork;

import dev.socketserver.engine.core.ChannelTimeouts;
import dev.socketserver.engine.core.Lifecycle;
import dev.socketserver.engine.telemetry.Logs;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.DrainReport;
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
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;

/**
 * The {@link Server} of a {@code processes(n)} server in the process that built it: starts the
 * worker processes, restarts those that die, drains them on shutdown and sums their counters.
 * It accepts nothing itself; its only socket is the reservation, a bound socket that does not
 * receive (see {@link Prefork}).
 *
 * <p>Workers are started by {@link #start} and supervised from then on, whether or not anybody
 * serves: {@code serveForever()} only waits for {@code shutdown()}, like the accept loop of a
 * one-process server would, and {@code handleRequest(timeout)} is one step of that supervision:
 * it waits until the workers have accepted a request or the timeout passed (see {@link
 * #handleRequest}). The state, the serving thread and termination are the {@link Lifecycle}'s,
 * as in a one-process server. A worker that exits while the server runs is restarted after a
 * back-off that doubles with each exit in a row (from {@link #FIRST_BACKOFF} to
 * {@link #MAX_BACKOFF}) and starts again from the first once a worker ran {@link #STABLE} or more,
 * so a crash loop costs one JVM start every 30 s at most. Each exit is logged with its status.
 *
 * <p>The watchdog: while the server runs, a check on the scheduler thread kills (SIGKILL) a
 * serving worker whose heartbeat stopped for the heartbeat timeout, and it is then restarted like
 * any worker that died ({@link WorkerSlot} says how and why).
 *
 * <p>Shutdown closes each worker's standard input, which makes it drain ({@link WorkerLink});
 * {@code close()} waits for the workers up to the drain deadline (plus {@link #EXIT_GRACE} for
 * the worker's own force-close and exit), then kills what is left. A JVM shutdown hook closes the
 * server if the program did not, so no worker outlives the supervisor; if the supervisor is
 * killed outright, its workers see their input end and drain anyway.
 *
 * <p>Thread-safety: the state and the slots are guarded by the lifecycle's {@link #lock}. Process exits are
 * handled on the threads that complete {@link Process#onExit()}, restarts on one scheduler thread.
 */
final class Supervisor implements Server, Lifecycle.Owner {
  private static final Logger log = Logs.get("dev.socketserver.Supervisor");
  static final Duration FIRST_BACKOFF = Duration.ofMillis(250);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
  static final Duration STABLE = Duration.ofSeconds(10);
  static final Duration EXIT_GRACE = Duration.ofSeconds(10);
  /** How long build() waits for the first workers to listen. */
  static final Duration STARTUP = Duration.ofSeconds(60);
  private static final long MIN_WATCH_MILLIS = 100;
  private static final long MAX_WATCH_MILLIS = 1000;

  private final String name;
  private final List<String> command;
  private final int key;
  private final InetSocketAddress address;
  private final Closeable reservation;
  private final Duration drainTimeout;
  private final Runnable timeoutHook;
  private final long heartbeatTimeoutNanos; // saturated: any Duration is a valid timeout
  private final List<WorkerSlot> slots = new ArrayList<>();
  private final ScheduledExecutorService restarts;
  private final Thread closeAtExit = Thread.ofPlatform().unstarted(this::close);

  private final Lifecycle lifecycle;
  private final ReentrantLock lock;
  // Guarded by lock.
  private ServerMetrics retired = WorkerMetrics.ZERO;

  private Supervisor(
      String name, List<String> command, int key, InetSocketAddress address,
      Closeable reservation, Duration drainTimeout, Duration heartbeatTimeout, Runnable timeoutHook) {
    this.name = name;
    this.command = command;
    this.key = key;
    this.address = address;
    this.reservation = reservation;
    this.drainTimeout = drainTimeout;
    this.timeoutHook = timeoutHook;
    this.lifecycle = new Lifecycle(name, log, this);
    this.lock = lifecycle.lock();
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
      Duration heartbeatTimeout, Runnable timeoutHook, List<String> command) throws IOException {
    InetSocketAddress address = reserved.address();
    Supervisor s =
        new Supervisor(
            transport + " " + address + " x" + workers, command, key, address, reserved.holder(),
            drainTimeout, heartbeatTimeout, timeoutHook);
    try {
      for (int i = 0; i < workers; i++) {
        Path file = Files.createTempFile("socketserver-worker-" + i + "-", ".counters");
        s.slots.add(new WorkerSlot(i, file, WorkerMetrics.open(file), s.name));
      }
      Runtime.getRuntime().addShutdownHook(s.closeAtExit);
      s.lock.lock();
      try {
        for (WorkerSlot slot : s.slots) {
          s.launch(slot);
        }
      } finally {
        s.lock.unlock();
      }
      long every =
          Math.clamp(TimeUnit.NANOSECONDS.toMillis(s.heartbeatTimeoutNanos) / 10, MIN_WATCH_MILLIS, MAX_WATCH_MILLIS);
      var _ = s.restarts.scheduleWithFixedDelay(s::watch, every, every, TimeUnit.MILLISECONDS);
      WorkerSlot.awaitListening(s.slots, s.lock, s.name, s.command);
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

  // lock held
  private void launch(WorkerSlot slot) {
    slot.restart = null;
    if (!live()) {
      return;
    }
    slot.reset();
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectOutput(ProcessBuilder.Redirect.INHERIT)
            .redirectError(ProcessBuilder.Redirect.INHERIT); // stdin: a pipe, see WorkerLink
    builder.environment().put(
        Concurrency.Worker.VARIABLE,
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
  private void exited(WorkerSlot slot, Process p) {
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
      if (live()) {
        scheduleRestart(slot, status);
      } else {
        log.debug("{} {} while draining", slot.describe(p), status);
      }
      terminate = lifecycle.claimTermination();
    } finally {
      lock.unlock();
    }
    if (terminate) {
      lifecycle.terminate();
    }
  }

  // lock held
  private void scheduleRestart(WorkerSlot slot, String what) {
    long backoff = slot.nextBackoffMillis();
    log.warn(
        "Worker {} of {} {}; restarting it in {} ms ({} exit(s) in a row)",
        slot.index, name, what, backoff, slot.exitsInARow);
    slot.restart = restarts.schedule(() -> relaunch(slot), backoff, TimeUnit.MILLISECONDS);
  }

  private void relaunch(WorkerSlot slot) {
    lock.lock();
    try {
      launch(slot);
    } finally {
      lock.unlock();
    }
  }

  /**
   * On the scheduler thread, every tenth of the heartbeat timeout (100 ms .. 1 s): kills the
   * serving workers whose heartbeat stopped (the class comment), and wakes a {@link
   * #handleRequest} waiting for the workers' counters.
   */
  private void watch() {
    lock.lock();
    try {
      if (!live()) {
        return;
      }
      long now = System.nanoTime();
      for (WorkerSlot slot : slots) {
        Process p = slot.process;
        if (p != null) {
          slot.watch(p, now, heartbeatTimeoutNanos);
        }
      }
      lifecycle.changed().signalAll();
    } catch (RuntimeException e) { // would end the periodic check silently
      log.error("Watching the workers of {} failed", name, e);
    } finally {
      lock.unlock();
    }
  }

  /** Whether workers are (re)started: the server is NEW or RUNNING. */
  private boolean live() {
    State state = lifecycle.state();
    return state == State.NEW || state == State.RUNNING;
  }

  @Override
  public SocketAddress localAddress() {
    return address;
  }

  @Override
  public State state() {
    return lifecycle.state();
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
      for (WorkerSlot slot : slots) {
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
    return lifecycle.describe();
  }

  /** Waits until {@link #shutdown()}: the workers serve, and are supervised all along. */
  @Override
  public void serveForever() {
    lifecycle.serveForever(this::awaitShutdown, false);
  }

  @Override
  public Server start() {
    lifecycle.start(this::awaitShutdown, false);
    return this;
  }

  /** On the serving thread: returns once the server stops running. */
  private void awaitShutdown() {
    try {
      while (lifecycle.running()) {
        lifecycle.awaitChange(-1);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.info("Serving thread of {} interrupted: shutting down", name);
      shutdown();
    } finally {
      lifecycle.exitServing();
    }
  }

  /**
   * Supervises for one step: waits, at most {@code timeout}, until the workers have accepted at
   * least one request more than when it was called, and returns true then; runs the timeout hook
   * and returns false if none did in time, and returns false once the server is shut down. The
   * workers accept, never this process, and publish their counters every {@link
   * WorkerLink#PUBLISH_INTERVAL}, so a request is seen up to that late (and the watchdog's
   * period). Moves a NEW server to RUNNING, as {@code serveForever()} does; the workers are
   * supervised (restarted, watched) all along, whether or not anybody calls this.
   *
   * @throws IllegalStateException if another thread serves this server
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  @Override
  public boolean handleRequest(Duration timeout) {
    if (!lifecycle.enterHandleRequest(timeout)) {
      return false;
    }
    try {
      long before = metrics().accepted();
      long deadline = System.nanoTime() + ChannelTimeouts.nanos(timeout);
      while (lifecycle.running()) {
        if (metrics().accepted() > before) {
          return true;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          runTimeoutHook();
          return false;
        }
        lifecycle.awaitChange(left);
      }
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.info("Serving thread of {} interrupted: shutting down", name);
      shutdown();
      return false;
    } finally {
      lifecycle.exitServing();
    }
  }

  private void runTimeoutHook() {
    try {
      timeoutHook.run();
    } catch (RuntimeException e) {
      log.warn("The timeout hook of {} failed", name, e);
    }
  }

  @Override
  public void shutdown() {
    boolean terminate;
    lock.lock();
    try {
      if (lifecycle.beginShutdown()) {
        log.info("Server {} shutting down: draining its workers", name);
      }
      for (WorkerSlot slot : slots) {
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
      terminate = lifecycle.claimTermination();
    } finally {
      lock.unlock();
    }
    if (terminate) {
      lifecycle.terminate();
    }
  }

  /** Shuts down and kills every worker at once ({@code kill -9}): their requests end with them. */
  @Override
  public void shutdownNow() {
    shutdown();
    lock.lock();
    try {
      for (WorkerSlot slot : slots) {
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
    return lifecycle.awaitTermination(timeout);
  }

  @Override
  public DrainReport drain(Duration timeout) throws InterruptedException {
    return lifecycle.drained(Server.super.drain(timeout), timeout); // no handler runs in this process
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

  /** With the lock held: no worker process is left. */
  @Override
  public boolean quiescent() {
    for (WorkerSlot slot : slots) {
      if (slot.process != null) {
        return false;
      }
    }
    return true;
  }

  /** Once, when the last worker has exited after shutdown. */
  @Override
  public void release() {
    restarts.shutdownNow();
    try {
      reservation.close();
    } catch (IOException e) {
      log.debug("Closing the reservation of {} failed: {}", name, e.toString());
    }
    for (WorkerSlot slot : slots) {
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
  }
}
