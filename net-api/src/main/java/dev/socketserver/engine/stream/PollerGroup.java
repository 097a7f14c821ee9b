package dev.socketserver.engine.stream;

import dev.socketserver.api.ConnectionOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A server's pollers: N {@link Poller}s, each with its own selector, thread and buffer
 * pools, so that reading, the poller's share of every round trip, runs on up to N cores at once.
 * A connection is given to one poller at accept ({@link #next()}) and stays on it for its life,
 * so its readiness, deadlines and close are handled by one thread, as with a single poller.
 *
 * <p>Assignment is to the least loaded poller (fewest registered channels), scanning from a
 * rotating start so that ties spread round-robin: short connections land evenly, and when
 * long-lived ones close unevenly the emptier pollers get the next ones. What stays server-wide
 * is shared, never divided per poller: the inbound budget (one {@link InboundBudget}), the
 * counters, the limit; each poller sweeps the deadlines of its own connections.
 *
 * <p>Thread-safe. Closed by its owner once the server has terminated.
 */
public final class PollerGroup implements AutoCloseable {
  /** A poller and the buffer pools of its connections. */
  public record Lane(Poller poller, BufferPools pools) {}

  private final Lane[] lanes;
  private final Poller[] pollers; // lanes' pollers, in the same order
  private final AtomicInteger start = new AtomicInteger();

  private PollerGroup(Lane[] lanes) {
    this.lanes = lanes;
    this.pollers = new Poller[lanes.length];
    for (int i = 0; i < lanes.length; i++) {
      pollers[i] = lanes[i].poller();
    }
  }

  /**
   * Starts {@code n} pollers named {@code name} and an index, each sweeping every
   * {@code sweepInterval} ({@link Duration#ZERO}: never), with read pools that charge one
   * {@code budget}, on platform threads if {@code platform} (pollers that answer requests
   * themselves; see {@link Poller}), else on virtual threads. On failure the pollers already
   * started are closed.
   */
  public static PollerGroup start(
      String name,
      int n,
      Duration sweepInterval,
      ConnectionOptions options,
      InboundBudget budget,
      boolean platform)
      throws IOException {
    if (n < 1) {
      throw new IllegalArgumentException("pollers < 1: " + n);
    }
    Lane[] lanes = new Lane[n];
    try {
      for (int i = 0; i < n; i++) {
        String threadName = n == 1 ? name : name + " #" + i;
        lanes[i] = new Lane(Poller.start(threadName, sweepInterval, platform), BufferPools.forServer(options, budget, n));
      }
    } catch (IOException | RuntimeException e) {
      for (Lane lane : lanes) {
        if (lane != null) {
          lane.poller().close();
        }
      }
      throw e;
    }
    return new PollerGroup(lanes);
  }

  /** Returns the lane for a new connection: its least loaded poller. */
  public Lane next() {
    return lanes.length == 1 ? lanes[0] : lanes[leastLoaded(pollers, start)];
  }

  /**
   * Returns the index of the poller of {@code pollers} with the fewest registered channels,
   * scanning from the next value of {@code start} so that ties go round-robin.
   */
  static int leastLoaded(Poller[] pollers, AtomicInteger start) {
    int n = pollers.length;
    int best = Math.floorMod(start.getAndIncrement(), n);
    int least = pollers[best].load();
    for (int i = 1; i < n && least > 0; i++) {
      int candidate = (best + i) % n;
      int load = pollers[candidate].load();
      if (load < least) {
        best = candidate;
        least = load;
      }
    }
    return best;
  }

  /** Returns how many pollers there are. */
  public int size() {
    return lanes.length;
  }

  /** Returns each poller's registered channels now, in order (for tests and diagnostics). */
  int[] loads() {
    int[] loads = new int[pollers.length];
    for (int i = 0; i < pollers.length; i++) {
      loads[i] = pollers[i].load();
    }
    return loads;
  }

  /** Closes every poller. */
  @Override
  public void close() {
    for (Poller p : pollers) {
      p.close();
    }
  }
}
