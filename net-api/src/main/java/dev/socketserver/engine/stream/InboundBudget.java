package dev.socketserver.engine.stream;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A server's inbound memory budget, shared by the read pools of all its pollers: the bytes of
 * charged read buffers, per-connection reservations (TLS's record buffers) and partial-frame
 * growth, against one limit. Exact across pollers: a charge succeeds only if the total stays
 * within the limit at that instant, whichever poller's connection asks.
 *
 * <p>Thread-safe (one atomic counter; the pools' own locks guard only their free lists).
 */
public final class InboundBudget {
  /** A budget that never refuses: client connections and tests. */
  static InboundBudget unlimited() {
    return new InboundBudget(Long.MAX_VALUE);
  }

  private final long limit;
  private final AtomicLong charged = new AtomicLong();

  /** Creates a budget of {@code limit} bytes. */
  public InboundBudget(long limit) {
    this.limit = limit;
  }

  /** Returns the budget, in bytes. */
  public long limit() {
    return limit;
  }

  /** Returns the bytes charged now. */
  public long charged() {
    return charged.get();
  }

  /** Charges {@code bytes} and returns true if the total stays within {@code within}; else false. */
  boolean charge(long bytes, long within) {
    long c;
    do {
      c = charged.get();
      if (c > within - bytes) {
        return false;
      }
    } while (!charged.compareAndSet(c, c + bytes));
    return true;
  }

  /** Releases {@code bytes} charged before. */
  void release(long bytes) {
    charged.addAndGet(-bytes);
  }
}
