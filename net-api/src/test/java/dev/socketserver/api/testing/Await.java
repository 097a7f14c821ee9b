package dev.socketserver.api.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition that no latch can signal (a thread count, a file descriptor count),
 * polling it until a deadline. It does not guess a delay: it returns as soon as the condition
 * holds, and fails with {@code what} if it never does.
 */
public final class Await {
  private Await() {}

  /** Polls {@code condition} every millisecond until it holds or {@code timeout} passes. */
  public static void until(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
      }
      LockSupport.parkNanos(1_000_000);
    }
  }
}
