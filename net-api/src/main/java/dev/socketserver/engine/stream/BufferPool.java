package dev.socketserver.engine.stream;

import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/**
 * A pool of direct buffers of one size, so that connections hold a buffer only while data is
 * waiting in it and an idle connection holds none. Buffers beyond the pool's capacity are left
 * to the garbage collector.
 *
 * <p>A server's read pool also keeps its inbound memory budget: buffers taken with
 * {@link #takeCharged()} (what the poller reads into), per-connection reservations
 * ({@link #reserve}: TLS's record buffers) and growth reservations ({@link #reserveGrowth}:
 * partial frames) count against one {@link InboundBudget}, which the read pools of all a server's
 * pollers share, so the limit is exact across pollers. Growth may use three quarters of the budget: the last quarter is kept
 * for read buffers and per-connection buffers, so that while peers fill the budget with partial
 * frames, a request that arrives whole is still read. Buffers taken with {@link #take()}
 * (writes, client connections) are not counted.
 *
 * <p>Thread-safe.
 */
public final class BufferPool {
  private final int bufferSize;
  private final @Nullable ByteBuffer[] free;
  private final InboundBudget budget;
  private int count; // guarded by this

  /** Creates a pool of buffers of {@code bufferSize} bytes keeping at most {@code maxFree}, with no budget. */
  public BufferPool(int bufferSize, int maxFree) {
    this(bufferSize, maxFree, InboundBudget.unlimited());
  }

  /**
   * Creates a pool of buffers of {@code bufferSize} bytes keeping at most {@code maxFree}, whose
   * charged buffers and reservations count against {@code budget} (which other pools may share).
   */
  public BufferPool(int bufferSize, int maxFree, InboundBudget budget) {
    this.bufferSize = bufferSize;
    this.free = new ByteBuffer[maxFree];
    this.budget = budget;
  }

  /** Returns the size of this pool's buffers. */
  public int bufferSize() {
    return bufferSize;
  }

  /** Returns the budget of charged buffers and reservations, in bytes. */
  public long budget() {
    return budget.limit();
  }

  /** Returns a cleared buffer (position 0, limit = capacity): the caller owns it. */
  public ByteBuffer take() {
    synchronized (this) {
      ByteBuffer b = pop();
      if (b != null) {
        return b;
      }
    }
    return ByteBuffer.allocateDirect(bufferSize);
  }

  /**
   * Returns a cleared buffer charged to the budget, or null if the budget has no room for it;
   * give it back with {@link #giveCharged}.
   */
  public @Nullable ByteBuffer takeCharged() {
    if (!budget.charge(bufferSize, budget.limit())) {
      return null;
    }
    synchronized (this) {
      ByteBuffer b = pop();
      if (b != null) {
        return b;
      }
    }
    return ByteBuffer.allocateDirect(bufferSize);
  }

  // guarded by this
  private @Nullable ByteBuffer pop() {
    if (count == 0) {
      return null;
    }
    ByteBuffer b = free[--count];
    free[count] = null;
    return b;
  }

  /** Gives a buffer back; the caller must not touch it afterwards. */
  public void give(ByteBuffer buffer) {
    buffer.clear();
    synchronized (this) {
      push(buffer);
    }
  }

  /** Gives back a buffer from {@link #takeCharged()}, releasing its charge. */
  public void giveCharged(ByteBuffer buffer) {
    buffer.clear();
    synchronized (this) {
      push(buffer);
    }
    budget.release(bufferSize);
  }

  // guarded by this
  private void push(ByteBuffer buffer) {
    if (count < free.length) {
      free[count++] = buffer;
    }
  }

  /** Charges {@code bytes} to the budget and returns true, or returns false if it has no room. */
  public boolean reserve(long bytes) {
    return budget.charge(bytes, budget.limit());
  }

  /**
   * Charges {@code bytes} a partial frame grew by and returns true, or returns false if that would
   * take the budget past three quarters.
   */
  public boolean reserveGrowth(long bytes) {
    long limit = budget.limit();
    return budget.charge(bytes, limit - limit / 4);
  }

  /** Releases {@code bytes} charged by {@link #reserve} or {@link #reserveGrowth}. */
  public void release(long bytes) {
    budget.release(bytes);
  }

  /** Returns the bytes charged now: buffers out and reservations. */
  public long charged() {
    return budget.charged();
  }
}
