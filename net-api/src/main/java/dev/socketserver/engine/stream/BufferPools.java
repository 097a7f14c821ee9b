package dev.socketserver.engine.stream;

import dev.socketserver.api.ConnectionOptions;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The read and write buffer pools of one poller of a server (or of all clients with the same
 * sizes); the read pools of a server's pollers share its {@link InboundBudget}.
 * Write buffers hold at least 8 KiB whatever the write buffer size: a large or unbuffered write
 * streams through one in chunks of that size, so a small write buffer never means a system call
 * per few bytes, and writes never copy a whole heap array into a temporary direct buffer.
 * Thread-safe.
 */
public record BufferPools(BufferPool read, BufferPool write) {
  private static final int MAX_FREE = 1024;
  // The pools of a server's pollers keep MAX_FREE between them, but each at least this many.
  private static final int MIN_FREE_PER_POLLER = 64;
  private static final int MIN_WRITE_CHUNK = 8192;

  private static final ConcurrentHashMap<Long, BufferPools> SHARED = new ConcurrentHashMap<>();

  /** Returns the pools shared by every client connection with {@code options}' buffer sizes. */
  public static BufferPools shared(ConnectionOptions options) {
    long sizes = (long) options.readBufferSize() << 32 | options.writeBufferSize();
    return SHARED.computeIfAbsent(sizes, k -> forOptions(options));
  }

  /** Returns new pools sized for {@code options}, with no inbound budget. */
  public static BufferPools forOptions(ConnectionOptions options) {
    return forServer(options, InboundBudget.unlimited(), 1);
  }

  /**
   * Returns new pools sized for {@code options} for one of a server's {@code pollers} pollers;
   * the read pool charges {@code inboundBudget}, the server's (see {@link BufferPool}).
   */
  public static BufferPools forServer(ConnectionOptions options, InboundBudget inboundBudget, int pollers) {
    int maxFree = Math.max(MIN_FREE_PER_POLLER, MAX_FREE / pollers);
    BufferPool read = new BufferPool(options.readBufferSize(), maxFree, inboundBudget);
    int writeSize = Math.max(options.writeBufferSize(), MIN_WRITE_CHUNK);
    BufferPool write = writeSize == read.bufferSize() ? read : new BufferPool(writeSize, maxFree);
    return new BufferPools(read, write);
  }
}
