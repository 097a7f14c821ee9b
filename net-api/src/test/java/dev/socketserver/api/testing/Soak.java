package dev.socketserver.api.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The knobs of the soak tests: how long they run ({@code -Dsoak.seconds}, 12 by default) and
 * the seed of their random client faults ({@code -Dsoak.seed}, new each run and printed so a
 * failing run can be replayed). Replaying a seed replays every client's sequence of actions; the
 * interleaving of threads is the machine's.
 */
public final class Soak {
  private Soak() {}

  /** Returns how long a soak runs. */
  public static Duration duration() {
    return Duration.ofSeconds(Long.getLong("soak.seconds", 12));
  }

  /** Returns the seed, printed with how to replay it. */
  public static long seed(String test) {
    Long given = Long.getLong("soak.seed");
    long seed = given != null ? given : System.nanoTime();
    // A test's own report, not library output: the one line that makes a failure reproducible.
    System.out.println(test + ": soak seed " + seed + " (replay with -Dsoak.seed=" + seed
        + "; run longer with -Dsoak.seconds=600)");
    return seed;
  }

  /** One session of a soak client: connect, act as {@code random} says, leave. */
  @FunctionalInterface
  public interface Session {
    /** Runs one session. */
    void run(Random random) throws Exception;
  }

  /**
   * Runs {@code clients} clients on virtual threads until the soak's duration has passed, client
   * {@code i} drawing its sessions from {@code new Random(seed + i)}; waits for them all.
   */
  public static void runClients(int clients, long seed, Session session) throws Exception {
    Duration duration = duration();
    long deadline = System.nanoTime() + duration.toNanos();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> running = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        Random random = new Random(seed + i);
        running.add(pool.submit(() -> {
          while (System.nanoTime() - deadline < 0) {
            session.run(random);
          }
          return null;
        }));
      }
      for (Future<?> f : running) {
        f.get(duration.toSeconds() + 60, TimeUnit.SECONDS);
      }
    }
  }

  /** What a soak's clients saw; thread-safe. */
  public static final class Stats {
    /** Sessions run, faulty ones included. */
    public final AtomicLong sessions = new AtomicLong();
    /** Sessions that misbehaved on purpose. */
    public final AtomicLong faults = new AtomicLong();
    /** Bytes of well-behaved sessions that came back exactly. */
    public final AtomicLong bytesChecked = new AtomicLong();
    /** Requests sent again because UDP lost them or their replies. */
    public final AtomicLong retries = new AtomicLong();
    /** Replies that differ from what was sent. */
    public final AtomicLong mismatches = new AtomicLong();
    /** Well-behaved sessions that failed or went unanswered. */
    public final AtomicLong failures = new AtomicLong();
    /** Requests the server reported to its error handler (the faults' doing). */
    public final AtomicLong serverFailures = new AtomicLong();
    private volatile String firstProblem = "";

    /** Counts a problem in {@code counter}, keeping the first one's description. */
    public void problem(AtomicLong counter, String what) {
      if (mismatches.get() + failures.get() == 0) {
        firstProblem = what;
      }
      counter.incrementAndGet();
    }

    /** Asserts that no well-behaved byte was lost or changed, and that the soak did something. */
    public void assertClean() {
      assertEquals(0, mismatches.get(), () -> "mismatches, first: " + firstProblem);
      assertEquals(0, failures.get(), () -> "well-behaved failures, first: " + firstProblem);
      assertTrue(sessions.get() >= 10, this::toString);
    }

    @Override
    public String toString() {
      return sessions + " sessions, " + faults + " faulty, " + bytesChecked + " bytes checked, "
          + retries + " retries, " + mismatches + " mismatches, " + failures
          + " well-behaved failures, " + serverFailures + " requests failed on the server";
    }
  }
}
