package dev.socketserver.api;

import java.util.Objects;
import java.util.OptionalInt;

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
    POOL
  }

  private final Mode mode;
  private final int threads;
  private final int limit;
  private final boolean daemon;
  private final boolean waitOnClose;

  private Concurrency(Mode mode, int threads, int limit, boolean daemon, boolean waitOnClose) {
    this.mode = mode;
    this.threads = threads;
    this.limit = limit;
    this.daemon = daemon;
    this.waitOnClose = waitOnClose;
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
   * Returns this policy with at most {@code maxInFlight} requests in flight.
   *
   * @throws IllegalArgumentException if {@code maxInFlight < 1}
   */
  public Concurrency limit(int maxInFlight) {
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("limit < 1: " + maxInFlight);
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
    if (mode != Mode.PLATFORM_THREADS && mode != Mode.POOL) {
      throw new IllegalStateException("daemon(...) applies to platformThreads() and pool(n), not " + this);
    }
    return new Concurrency(mode, threads, limit, daemonThreads, waitOnClose);
  }

  /**
   * Returns this policy with {@link Server#close()} waiting for requests in flight, or not
   * (Python's {@code block_on_close}). Without waiting, close stops accepting and returns;
   * requests finish in the background and are closed as usual.
   */
  public Concurrency waitOnClose(boolean wait) {
    return new Concurrency(mode, threads, limit, daemon, wait);
  }

  /** Returns the kind of this policy. */
  public Mode mode() {
    return mode;
  }

  /** Returns the pool size of a {@link #pool(int)} policy, 0 for the others. */
  public int threads() {
    return threads;
  }

  /** Returns the maximum of requests in flight, empty if unlimited. */
  public OptionalInt limit() {
    return limit == 0 ? OptionalInt.empty() : OptionalInt.of(limit);
  }

  /** Returns whether platform threads of this policy are daemon threads. */
  public boolean daemon() {
    return daemon;
  }

  /** Returns whether {@link Server#close()} waits for the requests in flight. */
  public boolean waitOnClose() {
    return waitOnClose;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Concurrency c
        && mode == c.mode
        && threads == c.threads
        && limit == c.limit
        && daemon == c.daemon
        && waitOnClose == c.waitOnClose;
  }

  @Override
  public int hashCode() {
    return Objects.hash(mode, threads, limit, daemon, waitOnClose);
  }

  /** Returns the policy as it is written in code, for example {@code pool(8).limit(64)}. */
  @Override
  public String toString() {
    StringBuilder s =
        new StringBuilder(
            switch (mode) {
              case SEQUENTIAL -> "sequential()";
              case PLATFORM_THREADS -> "platformThreads()";
              case VIRTUAL_THREADS -> "virtualThreads()";
              case POOL -> "pool(" + threads + ")";
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
