package dev.socketserver.api;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a server runs its requests, and how many may be in flight at once: one type per policy,
 * each with only the options that apply to it.
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
 *   <tr><td>{@link #executor(java.util.concurrent.Executor)}</td><td>on the caller's
 *       executor</td><td>—</td></tr>
 *   <tr><td>{@link #processes(int)}</td><td>in one of {@code n} worker processes, each serving
 *       with its own policy</td><td>{@code ForkingMixIn}</td></tr>
 *   </tbody>
 * </table>
 *
 * <p>{@code limit(n)}, on every policy but {@link Sequential} (which has one request in flight at
 * most), makes the server stop accepting while {@code n} requests are in flight, so excess
 * clients wait in the kernel's backlog (for datagrams: in the socket's receive buffer, which drops
 * what does not fit) instead of queueing without bound in the JVM: Python's
 * {@code ForkingMixIn.max_children}. A worker process's limit is its own policy's:
 * {@code processes(4, virtualThreads().limit(1000))}. Code that needs to tell the policies apart
 * switches over the sealed types, for example {@code case Concurrency.Processes p ->}.
 *
 * <p>Immutable and thread-safe: every option returns a new policy.
 */
public sealed interface Concurrency permits Concurrency.InProcess, Concurrency.Processes {

  /**
   * How long a worker of a {@link #processes(int)} server may go without a heartbeat before its
   * supervisor deems it hung, unless {@link Processes#heartbeatTimeout(Duration)} says otherwise:
   * 5 s.
   */
  Duration DEFAULT_HEARTBEAT_TIMEOUT = Duration.ofSeconds(5);

  /** The shortest heartbeat timeout: ten of the intervals at which workers publish (100 ms). */
  Duration MIN_HEARTBEAT_TIMEOUT = Duration.ofSeconds(1);

  /** Returns the policy that serves one request at a time on the thread that serves the server. */
  static Sequential sequential() {
    return new Sequential(true);
  }

  /**
   * Returns the policy that starts a platform thread per request: Python's
   * {@code ThreadingMixIn}. The threads are daemon threads by default (Python's
   * {@code daemon_threads = True}); {@code close()} waits for them (Python's
   * {@code block_on_close}).
   */
  static PlatformThreads platformThreads() {
    return new PlatformThreads(Integer.MAX_VALUE, true, true);
  }

  /**
   * Returns the policy that starts a virtual thread per request; the default of every server. A
   * blocked read or write parks the virtual thread and frees its carrier.
   */
  static VirtualThreads virtualThreads() {
    return new VirtualThreads(Integer.MAX_VALUE, true);
  }

  /**
   * Returns the policy that runs requests on a fixed pool of {@code threads} platform threads,
   * not daemon threads. Its limit is {@code threads} unless {@link Pool#limit(int)} says
   * otherwise, so requests never queue inside the JVM by default; a larger limit queues up to
   * {@code limit - threads} requests.
   *
   * @throws IllegalArgumentException if {@code threads < 1}
   */
  static Pool pool(int threads) {
    return new Pool(threads, threads, false, true);
  }

  /**
   * Returns the policy that runs each request with {@code executor.execute(...)}: a pool the
   * application already has, an executor that records or names its threads. The executor
   * belongs to the caller: the server never shuts it down, not even when it terminates, so one
   * executor can serve several servers and outlive them. A request the executor rejects
   * ({@link java.util.concurrent.RejectedExecutionException}) fails at once and is closed, like
   * one for which no thread could be started; the server goes on serving. As with
   * {@link #pool(int)}, a handler the server stops ({@code shutdownNow()}, a drain past its
   * deadline) is interrupted on the executor's thread.
   *
   * @throws NullPointerException if {@code executor} is null
   */
  static OnExecutor executor(java.util.concurrent.Executor executor) {
    return new OnExecutor(executor, Integer.MAX_VALUE, true);
  }

  /**
   * Returns the policy that serves in {@code workers} worker processes, each serving with
   * {@link #virtualThreads()}: {@code processes(workers, virtualThreads())}.
   *
   * @throws IllegalArgumentException if {@code workers} is out of 1..1024
   */
  static Processes processes(int workers) {
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
   * must run once (an admin endpoint on a fixed port, say) checks {@link #worker()} first; an
   * executor passed to {@link #executor(java.util.concurrent.Executor)} is each worker's own.
   * The server returned in the first process supervises: it restarts a worker that dies, with an
   * exponential back-off, forwards {@code shutdown()} and {@code close()} to the workers as a
   * graceful drain (always waiting for them), reports the workers' counters summed, and leaves no
   * process behind. It also kills (SIGKILL) and restarts a worker that is hung: one that serves
   * but has not given a heartbeat for {@link Processes#heartbeatTimeout(Duration)} (stopped,
   * frozen), which the kernel would otherwise go on handing its share of the new connections.
   * Transports that cannot share a socket between processes (Unix-domain sockets) fail
   * {@code build()} with this policy.
   *
   * @throws IllegalArgumentException if {@code workers} is out of 1..1024
   */
  static Processes processes(int workers, InProcess perWorker) {
    return new Processes(workers, perWorker, DEFAULT_HEARTBEAT_TIMEOUT);
  }

  /**
   * Returns who this process is if it is a worker of a {@link #processes(int)} server, empty
   * otherwise (in the supervising process, and in programs that do not use processes). The same
   * all through the process's life, so a handler can call it for every request.
   *
   * @throws IllegalStateException if the variable that makes a process a worker
   *     ({@value Worker#VARIABLE}) is malformed
   */
  static Optional<Worker> worker() {
    return WorkerVariable.current();
  }

  /**
   * Who this process is when it is one of the workers of a {@link #processes(int)} server.
   * Immutable and thread-safe.
   *
   * @param index this worker's number, 0 to {@code count - 1}; a restarted worker keeps the
   *     number of the one it replaces
   * @param count how many workers the server runs
   */
  record Worker(int index, int count) {
    /**
     * The environment variable that makes a process a worker, set by its supervisor: its value
     * starts with the worker's {@code index} and {@code count}, the rest is the library's own.
     * Remove it from the environment of a process a worker starts, unless that process is to be a
     * worker too.
     */
    public static final String VARIABLE = "SOCKETSERVER_WORKER";

    /** @throws IllegalArgumentException if {@code index} is not in 0 to {@code count - 1} */
    public Worker {
      if (index < 0 || index >= count) {
        throw new IllegalArgumentException("index " + index + " not in 0.." + (count - 1));
      }
    }
  }

  /**
   * A policy that runs requests in this process: every policy but {@link Processes}, and what
   * each worker of a {@link Processes} policy serves with.
   */
  sealed interface InProcess extends Concurrency
      permits Sequential, PlatformThreads, VirtualThreads, Pool, OnExecutor {

    /** Returns the most requests in flight at once, {@link Integer#MAX_VALUE} if unlimited. */
    int limit();

    /** Returns whether {@link Server#close()} waits for the requests in flight. */
    boolean waitOnClose();

    /**
     * Returns this policy with {@link Server#close()} waiting for requests in flight, or not
     * (Python's {@code block_on_close}). Without waiting, close stops accepting and returns;
     * requests finish in the background and are closed as usual.
     */
    InProcess waitOnClose(boolean wait);
  }

  /**
   * {@link #sequential()}: one request at a time, on the serving thread, so at most one in
   * flight.
   *
   * @param waitOnClose see {@link InProcess#waitOnClose()}
   */
  record Sequential(boolean waitOnClose) implements InProcess {
    @Override
    public int limit() {
      return 1;
    }

    @Override
    public Sequential waitOnClose(boolean wait) {
      return new Sequential(wait);
    }

    /** Returns the policy as it is written in code, for example {@code sequential()}. */
    @Override
    public String toString() {
      return "sequential()" + options(1, 1, false, false, waitOnClose);
    }
  }

  /**
   * {@link #platformThreads()}: a new platform thread per request.
   *
   * @param limit the most requests in flight, {@link Integer#MAX_VALUE} if unlimited
   * @param daemon whether the threads are daemon threads
   * @param waitOnClose see {@link InProcess#waitOnClose()}
   */
  record PlatformThreads(int limit, boolean daemon, boolean waitOnClose) implements InProcess {
    /** @throws IllegalArgumentException if {@code limit < 1} */
    public PlatformThreads {
      checkLimit(limit);
    }

    /**
     * Returns this policy with at most {@code maxInFlight} requests in flight.
     *
     * @throws IllegalArgumentException if {@code maxInFlight < 1}
     */
    public PlatformThreads limit(int maxInFlight) {
      return new PlatformThreads(maxInFlight, daemon, waitOnClose);
    }

    /**
     * Returns this policy with daemon threads or not (Python's {@code daemon_threads}); a
     * non-daemon handler thread keeps the JVM alive until it ends.
     */
    public PlatformThreads daemon(boolean daemonThreads) {
      return new PlatformThreads(limit, daemonThreads, waitOnClose);
    }

    @Override
    public PlatformThreads waitOnClose(boolean wait) {
      return new PlatformThreads(limit, daemon, wait);
    }

    /** Returns the policy as it is written in code, for example {@code platformThreads().limit(64)}. */
    @Override
    public String toString() {
      return "platformThreads()" + options(limit, Integer.MAX_VALUE, daemon, true, waitOnClose);
    }
  }

  /**
   * {@link #virtualThreads()}: a new virtual thread per request.
   *
   * @param limit the most requests in flight, {@link Integer#MAX_VALUE} if unlimited
   * @param waitOnClose see {@link InProcess#waitOnClose()}
   */
  record VirtualThreads(int limit, boolean waitOnClose) implements InProcess {
    /** @throws IllegalArgumentException if {@code limit < 1} */
    public VirtualThreads {
      checkLimit(limit);
    }

    /**
     * Returns this policy with at most {@code maxInFlight} requests in flight.
     *
     * @throws IllegalArgumentException if {@code maxInFlight < 1}
     */
    public VirtualThreads limit(int maxInFlight) {
      return new VirtualThreads(maxInFlight, waitOnClose);
    }

    @Override
    public VirtualThreads waitOnClose(boolean wait) {
      return new VirtualThreads(limit, wait);
    }

    /** Returns the policy as it is written in code, for example {@code virtualThreads().limit(64)}. */
    @Override
    public String toString() {
      return "virtualThreads()" + options(limit, Integer.MAX_VALUE, false, false, waitOnClose);
    }
  }

  /**
   * {@link #pool(int)}: a fixed pool of platform threads.
   *
   * @param threads the pool's size
   * @param limit the most requests in flight; more than {@code threads} queue in the pool
   * @param daemon whether the threads are daemon threads
   * @param waitOnClose see {@link InProcess#waitOnClose()}
   */
  record Pool(int threads, int limit, boolean daemon, boolean waitOnClose) implements InProcess {
    /** @throws IllegalArgumentException if {@code threads < 1} or {@code limit < 1} */
    public Pool {
      if (threads < 1) {
        throw new IllegalArgumentException("pool threads < 1: " + threads);
      }
      checkLimit(limit);
    }

    /**
     * Returns this policy with at most {@code maxInFlight} requests in flight.
     *
     * @throws IllegalArgumentException if {@code maxInFlight < 1}
     */
    public Pool limit(int maxInFlight) {
      return new Pool(threads, maxInFlight, daemon, waitOnClose);
    }

    /**
     * Returns this policy with daemon threads or not (Python's {@code daemon_threads}); a
     * non-daemon pool thread keeps the JVM alive until the server terminates.
     */
    public Pool daemon(boolean daemonThreads) {
      return new Pool(threads, limit, daemonThreads, waitOnClose);
    }

    @Override
    public Pool waitOnClose(boolean wait) {
      return new Pool(threads, limit, daemon, wait);
    }

    /** Returns the policy as it is written in code, for example {@code pool(8).limit(64)}. */
    @Override
    public String toString() {
      return "pool(" + threads + ")" + options(limit, threads, daemon, false, waitOnClose);
    }
  }

  /**
   * {@link #executor(java.util.concurrent.Executor)}: each request on the caller's executor,
   * which the server never shuts down. Equal to another when their executors are equal.
   *
   * @param executor runs each request; owned by the caller
   * @param limit the most requests in flight, {@link Integer#MAX_VALUE} if unlimited
   * @param waitOnClose see {@link InProcess#waitOnClose()}
   */
  record OnExecutor(java.util.concurrent.Executor executor, int limit, boolean waitOnClose)
      implements InProcess {
    /** @throws IllegalArgumentException if {@code limit < 1} */
    public OnExecutor {
      Objects.requireNonNull(executor, "executor");
      checkLimit(limit);
    }

    /**
     * Returns this policy with at most {@code maxInFlight} requests in flight: the server then
     * hands the executor no more than that at once.
     *
     * @throws IllegalArgumentException if {@code maxInFlight < 1}
     */
    public OnExecutor limit(int maxInFlight) {
      return new OnExecutor(executor, maxInFlight, waitOnClose);
    }

    @Override
    public OnExecutor waitOnClose(boolean wait) {
      return new OnExecutor(executor, limit, wait);
    }

    /** Returns the policy as it is written in code, for example {@code executor(...).limit(64)}. */
    @Override
    public String toString() {
      return "executor(" + executor + ")" + options(limit, Integer.MAX_VALUE, false, false, waitOnClose);
    }
  }

  /**
   * {@link #processes(int, InProcess)}: worker processes sharing the server's port, each serving
   * with {@code perWorker}.
   *
   * @param workers how many worker processes, 1 to 1024
   * @param perWorker the policy each worker serves with, its limit and {@code waitOnClose} included
   * @param heartbeatTimeout how long a serving worker may go without a heartbeat before it is
   *     killed as hung
   */
  record Processes(int workers, InProcess perWorker, Duration heartbeatTimeout) implements Concurrency {
    /**
     * @throws IllegalArgumentException if {@code workers} is out of 1..1024, or
     *     {@code heartbeatTimeout} is shorter than {@link #MIN_HEARTBEAT_TIMEOUT}
     */
    public Processes {
      if (workers < 1 || workers > 1024) {
        throw new IllegalArgumentException("processes must be 1..1024: " + workers);
      }
      Objects.requireNonNull(perWorker, "perWorker");
      if (heartbeatTimeout.compareTo(MIN_HEARTBEAT_TIMEOUT) < 0) {
        throw new IllegalArgumentException(
            "heartbeat timeout < " + MIN_HEARTBEAT_TIMEOUT + " (ten of the workers' 100 ms heartbeats): "
                + heartbeatTimeout);
      }
    }

    /**
     * Returns this policy with its workers deemed hung after {@code timeout} without a heartbeat
     * ({@link #DEFAULT_HEARTBEAT_TIMEOUT} unless set). Each worker gives one every 100 ms from a
     * platform thread of its own, so a busy worker gives them too; one that gives none for
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
     */
    public Processes heartbeatTimeout(Duration timeout) {
      return new Processes(workers, perWorker, timeout);
    }

    /**
     * Returns the policy as it is written in code, for example {@code processes(4)} or
     * {@code processes(4, pool(8)).heartbeatTimeout(PT10S)}.
     */
    @Override
    public String toString() {
      return "processes(" + workers
          + (perWorker.equals(virtualThreads()) ? "" : ", " + perWorker) + ")"
          + (heartbeatTimeout.equals(DEFAULT_HEARTBEAT_TIMEOUT) ? "" : ".heartbeatTimeout(" + heartbeatTimeout + ")");
    }
  }

  private static void checkLimit(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit < 1: " + limit);
    }
  }

  /** The options that differ from a policy's defaults, as they are written in code. */
  private static String options(
      int limit, int defaultLimit, boolean daemon, boolean defaultDaemon, boolean waitOnClose) {
    return (limit == defaultLimit ? "" : ".limit(" + limit + ")")
        + (daemon == defaultDaemon ? "" : ".daemon(" + daemon + ")")
        + (waitOnClose ? "" : ".waitOnClose(false)");
  }
}
