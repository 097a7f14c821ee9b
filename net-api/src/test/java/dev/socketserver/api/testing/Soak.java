package dev.socketserver.api.testing;

import java.time.Duration;

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
}
