package dev.socketserver.api.internal;

import dev.socketserver.api.ServerMetrics;
import java.util.concurrent.atomic.LongAdder;

/** A server's counters, added to from any thread. Thread-safe. */
public final class Counters {
  /** Counters no server reads: for client connections. */
  public static final Counters UNUSED = new Counters();

  final LongAdder accepted = new LongAdder();
  final LongAdder completed = new LongAdder();
  final LongAdder failed = new LongAdder();
  final LongAdder rejected = new LongAdder();
  private final LongAdder bytesRead = new LongAdder();
  private final LongAdder bytesWritten = new LongAdder();
  private final LongAdder replies = new LongAdder();

  /** Counts {@code n} bytes received from a client. */
  public void read(long n) {
    bytesRead.add(n);
  }

  /** Counts {@code n} bytes sent to a client. */
  public void written(long n) {
    bytesWritten.add(n);
  }

  /** Counts one reply datagram of {@code n} bytes sent to a client (also counted as written). */
  public void replied(long n) {
    replies.increment();
    bytesWritten.add(n);
  }

  ServerMetrics snapshot(long active) {
    return new ServerMetrics(
        accepted.sum(),
        active,
        completed.sum(),
        failed.sum(),
        rejected.sum(),
        bytesRead.sum(),
        bytesWritten.sum(),
        replies.sum());
  }
}
