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
 * partial frames) count against one limit, under the pool's own lock, so the budget costs the hot
 * path no lock of its own. Growth may use three quarters of the budget: the last quarter is kept
 * for read buffers and per-connection buffers, so that while peers fill the budget with partial
 * frames, a request that arrives whole is still read. Buffers taken with {@link #take()}
 * (writes, client connections) are not counted.
 *
 * <p>Thread-safe.
 */
public final class BufferPool {
  private final int bufferSize;
  private final @Nullable ByteBuffer[] free;
  private final long budget;
  private int count; // guarded by this
  private long charged; // guarded by this

  /** Creates a pool of buffers of {@code bufferSize} bytes keeping at most {@code maxFree}, with no budget. */
  public BufferPool(int bufferSize, int maxFree) {
    this(bufferSize, maxFree, Long.MAX_VALUE);
  }

  /**
   * Creates a pool of buffers of {@code bufferSize} bytes keeping at most {@code maxFree}, whose
   * charged buffers and reservations together stay within {@code budget} bytes.
   */
  public BufferPool(int bufferSize, int maxFree, long budget) {
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
    return budget;
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
    synchronized (this) {
      if (charged > budget - bufferSize) {
        return null;
      }
      charged += bufferSize;
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
      charged -= bufferSize;
      push(buffer);
    }
  }

  // guarded by this
  private void push(ByteBuffer buffer) {
    if (count < free.length) {
      free[count++] = buffer;
    }
  }

  /** Charges {@code bytes} to the budget and returns true, or returns false if it has no room. */
  public synchronized boolean reserve(long bytes) {
    return reserveWithin(budget, bytes);
  }

  /**
   * Charges {@code bytes} a partial frame grew by and returns true, or returns false if that would
   * take the budget past three quarters.
   */
  public synchronized boolean reserveGrowth(long bytes) {
    return reserveWithin(budget - budget / 4, bytes);
  }

  // guarded by this
  private boolean reserveWithin(long limit, long bytes) {
    if (charged > limit - bytes) {
      return false;
    }
    charged += bytes;
    return true;
  }

  /** Releases {@code bytes} charged by {@link #reserve} or {@link #reserveGrowth}. */
  public synchronized void release(long bytes) {
    charged -= bytes;
  }

  /** Returns the bytes charged now: buffers out and reservations. */
  public synchronized long charged() {
    return charged;
  }
}
