package dev.socketserver.api.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;

/**
 * Counts the heap the calling thread allocates, with the JVM's per-thread allocation counter
 * ({@code com.sun.management.ThreadMXBean}): how the decoders' and the PROXY parser's allocation
 * bounds are measured. Stateless and thread-safe; each thread reads its own counter.
 */
public final class Allocations {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private Allocations() {}

  /** Skips the calling test where this JVM cannot count a thread's allocations; otherwise turns counting on. */
  public static void assumeCounted() {
    assumeTrue(THREADS.isThreadAllocatedMemorySupported(), "no per-thread allocation counter");
    THREADS.setThreadAllocatedMemoryEnabled(true);
  }

  /** Returns how many bytes the calling thread has allocated since it started. */
  public static long byThisThread() {
    return THREADS.getCurrentThreadAllocatedBytes();
  }
}
