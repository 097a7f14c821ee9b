package dev.socketserver.api;

import dev.socketserver.engine.prefork.WorkerEnvironment;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;

/**
 * Where a server runs its requests, and how many may be in flight at once.
 *
 * <table class="striped">
 *   <caption>Policies and their Python counterparts</caption>
 *   <thead><tr><th>policy</th><th>requests run</th><th>Python</th></tr></thead>
 *   <tbody>
 *   <tr><td>{@link #sequential()}</td><td>one at a time, on the serving thread</td>
 *       <td>{@code TCPServer}</td></tr>
 *   <tr><td>{@link #platformThreads()}</td><td>each on a new platform thread</td>
 *       <td>{@code ThreadingMixIn}</td></tr>
 *   <tr><td>{@link #virtualThreads()} (the default)</td><td>each on a new virtual thread</td>
 *       <td>—</td></tr>
 *   <tr><td>{@link #pool(int)}</td><td>on a fixed pool of platform threads</td><td>—</td></tr>
 *   <tr><td>{@link #processes(int)}</td><td>in one of {@code n} worker processes, each serving
 *       with its own policy</td><td>{@code ForkingMixIn}</td></tr>
 *   </tbody>
 * </table>
 *
 * <p>{@link #limit(int)} applies to every policy: with {@code n} requests in flight the server
 * stops accepting until one finishes, so excess clients wait in the kernel's backlog (for
 * datagrams: in the socket's receive buffer, which drops what does not fit) instead of queueing
 * without bound in the JVM. Python's {@code ForkingMixIn.max_children}.
 *
 * <p>Immutable and thread-safe: every method returns a new policy.
 */
public final class Concurrency {

  /** The kinds of policy. */
  public enum Mode {
    /** One request at a time on the serving thread. */
    SEQUENTIAL,
    /** A new platform thread per request. */
    PLATFORM_THREADS,
    /** A new virtual thread per request. */
    VIRTUAL_THREADS,
    /** A fixed pool of platform threads. */
    POOL,
    /** Worker processes sharing the server's port, each serving with a policy of its own. */
    PROCESSES
  }

  /**
   * Who this process is when it is one of the workers of a {@link #processes(int)} server.
   * Immutable and thread-safe.
   *
   * @param index this worker's number, 0 to {@code count - 1}; a restarted worker keeps the
   *     number of the one it replaces
   * @param count how many workers the server runs
   */
  public record Worker(int index, int count) {}

  /**
   * How long a worker of a {@link #processes(int)} server may go without a heartbeat before its
   * supervisor deems it hung, unless {@link #heartbeatTimeout(Duration)} says otherwise: 5 s.
   */
  public static final Duration DEFAULT_HEARTBEAT_TIMEOUT = Duration.ofSeconds(5);

  /** The shortest heartbeat timeout: ten of the intervals at which workers publish (100 ms). */
  public static final Duration MIN_HEARTBEAT_TIMEOUT = Duration.ofSeconds(1);

  private final Mode mode;
  private final int threads;
  private final int limit;
  private final boolean daemon;
  private final boolean waitOnClose;
  private final @Nullable Concurrency perWorker; // PROCESSES only; then threads = the worker count
  private final Duration heartbeatTimeout; // PROCESSES only; the default for the others

  private Concurrency(Mode mode, int threads, int limit, boolean daemon, boolean waitOnClose) {
    this.mode = mode;
    this.threads = threads;
    this.limit = limit;
    this.daemon = daemon;
    this.waitOnClose = waitOnClose;
    this.perWorker = null;
    this.heartbeatTimeout = DEFAULT_HEARTBEAT_TIMEOUT;
  }

  private Concurrency(int workers, Concurrency perWorker, Duration heartbeatTimeout) {
    this.mode = Mode.PROCESSES;
    this.threads = workers;
    this.limit = 0;
    this.daemon = false;
    this.waitOnClose = true;
    this.perWorker = perWorker;
    this.heartbeatTimeout = heartbeatTimeout;
  }

  /** Returns the policy that serves one request at a time on the thread that serves the server. */
  public static Concurrency sequential() {
    return new Concurrency(Mode.SEQUENTIAL, 0, 1, false, true);
  }

  /**
   * Returns the policy that starts a platform thread per request: Python's
   * {@code ThreadingMixIn}. The threads are daemon threads by default (Python's
   * {@code daemon_threads = True}); {@code close()} waits for them (Python's
   * {@code block_on_close}).
   */
  public static Concurrency platformThreads() {
    return new Concurrency(Mode.PLATFORM_THREADS, 0, 0, true, true);
  }

  /**
   * Returns the policy that starts a virtual thread per request; the default of every server. A
   * blocked read or write parks the virtual thread and frees its carrier.
   */
  public static Concurrency virtualThreads() {
    return new Concurrency(Mode.VIRTUAL_THREADS, 0, 0, true, true);
  }

  /**
   * Returns the policy that runs requests on a fixed pool of {@code threads} platform threads.
   * Its limit is {@code threads} unless {@link #limit(int)} says otherwise, so requests never queue
   * inside the JVM by default; a larger limit queues up to {@code limit - threads} requests.
   *
   * @throws IllegalArgumentException if {@code threads < 1}
   */
  public static Concurrency pool(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("pool threads < 1: " + threads);
    }
    return new Concurrency(Mode.POOL, threads, threads, false, true);
  }

  /**
   * Returns the policy that serves in {@code workers} worker processes, each serving with
   * {@link #virtualThreads()}: {@code processes(workers, virtualThreads())}.
   *
   * @throws IllegalArgumentException if {@code workers} is out of 1..1024
   */
  public static Concurrency processes(int workers) {
    return processes(workers, virtualThreads());
  }

  /**
   * Returns the policy that serves in {@code workers} worker processes (JVMs) sharing the port,
   * each serving with {@code perWorker}: the prefork model of gunicorn and nginx, the JVM's
   * answer to Python's {@code ForkingMixIn}. A request that crashes or exhausts its JVM takes
   * one worker down, and the others go on serving while it is replaced.
   *
   * <p>{@code build()} starts the workers: each runs this same program again (same {@code java},
   * JVM options, class or module path, main class and arguments), and in a worker the same
   * {@code build()} call binds the server's resolved address with SO_REUSEPORT, so the kernel
   * spreads connections (or datagrams) over the workers, and returns the worker's own server.
   * What the program does around {@code build()} therefore runs in every worker too: code that
   * must run once (an admin endpoint on a fixed port, say) checks {@link #worker()} first. The
   * server returned in the first process supervises: it restarts a worker that dies, with an
   * exponential back-off, forwards {@code shutdown()} and {@code close()} to the workers as a
   * graceful drain, reports the workers' counters summed, and leaves no process behind.
   * It also kills (SIGKILL) and restarts a worker that is hung: one that serves but has not given a
   * heartbeat for {@link #heartbeatTimeout(Duration)} (stopped, frozen), which the kernel would
   * otherwise go on handing its share of the new connections. Transports that cannot share a socket between processes (Unix-domain sockets) fail
   * {@code build()} with this policy.
   *
   * @throws IllegalArgumentException if {@code workers} is out of 1..1024, or {@code perWorker}
   *     is itself a processes policy
   */
  public static Concurrency processes(int workers, Concurrency perWorker) {
    if (workers < 1 || workers > 1024) {
      throw new IllegalArgumentException("processes must be 1..1024: " + workers);
    }
    if (perWorker.mode == Mode.PROCESSES) {
      throw new IllegalArgumentException("a worker process cannot have worker processes: " + perWorker);
    }
    return new Concurrency(workers, perWorker, DEFAULT_HEARTBEAT_TIMEOUT);
  }

  /**
   * Returns who this process is if it is a worker of a {@link #processes(int)} server, empty
   * otherwise (in the supervising process, and in programs that do not use processes). The same
   * all through the process's life, so a handler can call it for every request.
   *
   * @throws IllegalStateException if the variable that makes a process a worker is malformed
   */
  public static Optional<Worker> worker() {
    return WorkerEnvironment.current().map(e -> new Worker(e.index(), e.count()));
  }

  /**
   * Returns this policy with at most {@code maxInFlight} requests in flight; for a processes
   * policy, in flight in each worker.
   *
   * @throws IllegalArgumentException if {@code maxInFlight < 1}
   */
  public Concurrency limit(int maxInFlight) {
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("limit < 1: " + maxInFlight);
    }
    if (perWorker != null) {
      return new Concurrency(threads, perWorker.limit(maxInFlight), heartbeatTimeout);
    }
    return new Concurrency(mode, threads, maxInFlight, daemon, waitOnClose);
  }

  /**
   * Returns this policy with its platform threads daemon or not (Python's
   * {@code daemon_threads}); a non-daemon handler thread keeps the JVM alive until it ends.
   *
   * @throws IllegalStateException if this policy has no threads of its own to configure
   *     (sequential or virtual threads, which are always daemons)
   */
  public Concurrency daemon(boolean daemonThreads) {
    if (perWorker != null) {
      return new Concurrency(threads, perWorker.daemon(daemonThreads), heartbeatTimeout);
    }
    if (mode != Mode.PLATFORM_THREADS && mode != Mode.POOL) {
      throw new IllegalStateException("daemon(...) applies to platformThreads() and pool(n), not " + this);
    }
    return new Concurrency(mode, threads, limit, daemonThreads, waitOnClose);
  }

  /**
   * Returns this policy with {@link Server#close()} waiting for requests in flight, or not
   * (Python's {@code block_on_close}). Without waiting, close stops accepting and returns;
   * requests finish in the background and are closed as usual. For a processes policy it applies
   * in each worker; the supervisor always waits for its workers.
   */
  public Concurrency waitOnClose(boolean wait) {
    if (perWorker != null) {
      return new Concurrency(threads, perWorker.waitOnClose(wait), heartbeatTimeout);
    }
    return new Concurrency(mode, threads, limit, daemon, wait);
  }

  /**
   * Returns this processes policy with its workers deemed hung after {@code timeout} without a
   * heartbeat ({@link #DEFAULT_HEARTBEAT_TIMEOUT} unless set). Each worker gives one every 100 ms
   * from a platform thread of its own, so a busy worker gives them too; one that gives none for
   * {@code timeout} (stopped by SIGSTOP, frozen by a debugger, swapping, paused by a garbage
   * collection longer than that) is logged, killed with SIGKILL and restarted with the usual
   * back-off, its requests in flight and the connections in its backlog lost with it. The
   * timeout runs only once the worker serves: a worker still starting (its JVM, and the
   * program's own work before {@code build()}) is never killed for being slow, however long it
   * takes; the supervisor warns once if it has not served a minute after its start.
   *
   * @apiNote The timeout trades how long a hung worker keeps its share of the new connections
   *     against killing a healthy worker that was merely paused: raise it where a full garbage
   *     collection of a worker's heap can stop it longer.
   * @throws IllegalArgumentException if {@code timeout} is shorter than
   *     {@link #MIN_HEARTBEAT_TIMEOUT}
   * @throws IllegalStateException if this is not a {@link #processes(int)} policy
   */
  public Concurrency heartbeatTimeout(Duration timeout) {
    if (perWorker == null) {
      throw new IllegalStateException("heartbeatTimeout(...) applies to processes(n), not " + this);
    }
    if (timeout.compareTo(MIN_HEARTBEAT_TIMEOUT) < 0) {
      throw new IllegalArgumentException(
          "heartbeat timeout < " + MIN_HEARTBEAT_TIMEOUT + " (ten of the workers' 100 ms heartbeats): " + timeout);
    }
    return new Concurrency(threads, perWorker, timeout);
  }

  /** Returns the kind of this policy. */
  public Mode mode() {
    return mode;
  }

  /** Returns the pool size of a {@link #pool(int)} policy, 0 for the others. */
  public int threads() {
    return mode == Mode.POOL ? threads : 0;
  }

  /** Returns the number of worker processes of a {@link #processes(int)} policy, 0 for the others. */
  public int workers() {
    return mode == Mode.PROCESSES ? threads : 0;
  }

  /** Returns the policy each worker of a {@link #processes(int)} policy serves with; this policy for the others. */
  public Concurrency perWorker() {
    return perWorker != null ? perWorker : this;
  }

  /** Returns the maximum of requests in flight (in each worker for processes), empty if unlimited. */
  public OptionalInt limit() {
    if (perWorker != null) {
      return perWorker.limit();
    }
    return limit == 0 ? OptionalInt.empty() : OptionalInt.of(limit);
  }

  /** Returns whether platform threads of this policy (of its workers, for processes) are daemon threads. */
  public boolean daemon() {
    return perWorker != null ? perWorker.daemon() : daemon;
  }

  /** Returns whether {@link Server#close()} waits for the requests in flight (in each worker, for processes). */
  public boolean waitOnClose() {
    return perWorker != null ? perWorker.waitOnClose() : waitOnClose;
  }

  /**
   * Returns how long a worker of a {@link #processes(int)} policy may go without a heartbeat
   * before it is killed as hung; {@link Duration#ZERO} for the other policies, which have no
   * workers.
   */
  public Duration heartbeatTimeout() {
    return perWorker != null ? heartbeatTimeout : Duration.ZERO;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Concurrency c
        && mode == c.mode
        && threads == c.threads
        && limit == c.limit
        && daemon == c.daemon
        && waitOnClose == c.waitOnClose
        && Objects.equals(perWorker, c.perWorker)
        && heartbeatTimeout.equals(c.heartbeatTimeout);
  }

  @Override
  public int hashCode() {
    return Objects.hash(mode, threads, limit, daemon, waitOnClose, perWorker, heartbeatTimeout);
  }

  /**
   * Returns the policy as it is written in code, for example {@code pool(8).limit(64)} or
   * {@code processes(4, pool(8)).heartbeatTimeout(PT10S)}.
   */
  @Override
  public String toString() {
    if (perWorker != null) {
      return "processes(" + threads
          + (perWorker.equals(virtualThreads()) ? "" : ", " + perWorker) + ")"
          + (heartbeatTimeout.equals(DEFAULT_HEARTBEAT_TIMEOUT) ? "" : ".heartbeatTimeout(" + heartbeatTimeout + ")");
    }
    StringBuilder s =
        new StringBuilder(
            switch (mode) {
              case SEQUENTIAL -> "sequential()";
              case PLATFORM_THREADS -> "platformThreads()";
              case VIRTUAL_THREADS -> "virtualThreads()";
              case POOL -> "pool(" + threads + ")";
              case PROCESSES -> throw new AssertionError("a processes policy has perWorker");
            });
    if (limit != 0 && !(mode == Mode.SEQUENTIAL && limit == 1) && !(mode == Mode.POOL && limit == threads)) {
      s.append(".limit(").append(limit).append(')');
    }
    if ((mode == Mode.PLATFORM_THREADS && !daemon) || (mode == Mode.POOL && daemon)) {
      s.append(".daemon(").append(daemon).append(')');
    }
    if (!waitOnClose) {
      s.append(".waitOnClose(false)");
    }
    return s.toString();
  }
}
