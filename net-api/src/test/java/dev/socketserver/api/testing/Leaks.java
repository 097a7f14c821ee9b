package dev.socketserver.api.testing;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;

/**
 * What a server can leak — open file descriptors, its own platform threads, request objects —
 * and how to wait for them to be released. A snapshot is taken before a test's server is built;
 * {@link Snapshot#awaitRestored} then waits, without guessing a delay, until the process is back
 * to it.
 */
public final class Leaks {
  private Leaks() {}

  /**
   * The platform threads a server starts are named {@code socketserver-...}; the client poller is
   * shared by every client and lives as long as the JVM, so it is not a server's leak.
   */
  private static final String SERVER_THREADS = "socketserver-";

  private static final String SHARED_CLIENT_POLLER = "socketserver-client-poller";

  /** Open descriptors and live server threads at one instant. */
  public record Snapshot(long descriptors, long serverThreads) {

    /** Waits until no more descriptors and server threads are live than in this snapshot. */
    public void awaitRestored(Duration timeout) {
      Await.until(
          "back to " + this + " (now " + snapshot() + ")",
          timeout,
          () -> {
            Snapshot now = snapshot();
            return now.descriptors <= descriptors && now.serverThreads <= serverThreads;
          });
    }
  }

  /** Returns the current counts. */
  public static Snapshot snapshot() {
    return new Snapshot(Descriptors.open(), serverThreads());
  }

  /** Returns how many platform threads named after a server are alive. */
  public static long serverThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .map(Thread::getName)
        .filter(n -> n.startsWith(SERVER_THREADS) && !n.equals(SHARED_CLIENT_POLLER))
        .count();
  }

  /**
   * Waits until the garbage collector has cleared every reference in {@code refs}: the objects
   * they point to (connections, handler threads) are retained by nothing. Asks for a collection
   * between polls.
   */
  public static void awaitCollected(String what, List<? extends WeakReference<?>> refs, Duration timeout) {
    Await.until(
        what + " collected",
        timeout,
        () -> {
          System.gc();
          return refs.stream().allMatch(r -> r.get() == null);
        });
  }
}
