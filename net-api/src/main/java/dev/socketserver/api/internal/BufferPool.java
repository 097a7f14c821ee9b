package dev.socketserver.api.internal;

import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/**
 * A pool of direct buffers of one size, so that connections hold a buffer only while data is
 * waiting in it and an idle connection holds none. Buffers beyond the pool's capacity are left
 * to the garbage collector. Thread-safe.
 */
public final class BufferPool {
  private final int bufferSize;
  private final @Nullable ByteBuffer[] free;
  private int count; // guarded by this

  /** Creates a pool of buffers of {@code bufferSize} bytes keeping at most {@code maxFree}. */
  public BufferPool(int bufferSize, int maxFree) {
    this.bufferSize = bufferSize;
    this.free = new ByteBuffer[maxFree];
  }

  /** Returns the size of this pool's buffers. */
  public int bufferSize() {
    return bufferSize;
  }

  /** Returns a cleared buffer (position 0, limit = capacity): the caller owns it. */
  public ByteBuffer take() {
    synchronized (this) {
      if (count > 0) {
        ByteBuffer b = free[--count];
        free[count] = null;
        if (b != null) {
          return b;
        }
      }
    }
    return ByteBuffer.allocateDirect(bufferSize);
  }

  /** Gives a buffer back; the caller must not touch it afterwards. */
  public void give(ByteBuffer buffer) {
    buffer.clear();
    synchronized (this) {
      if (count < free.length) {
        free[count++] = buffer;
      }
    }
  }
}
