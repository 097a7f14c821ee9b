package dev.socketserver.engine.stream;

import dev.socketserver.api.ConnectionOptions;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The read and write buffer pools of one server (or of all clients with the same sizes).
 * Write buffers hold at least 8 KiB whatever the write buffer size: a large or unbuffered write
 * streams through one in chunks of that size, so a small write buffer never means a system call
 * per few bytes, and writes never copy a whole heap array into a temporary direct buffer.
 * Thread-safe.
 */
public record BufferPools(BufferPool read, BufferPool write) {
  private static final int MAX_FREE = 1024;
  private static final int MIN_WRITE_CHUNK = 8192;

  private static final ConcurrentHashMap<Long, BufferPools> SHARED = new ConcurrentHashMap<>();

  /** Returns the pools shared by every client connection with {@code options}' buffer sizes. */
  public static BufferPools shared(ConnectionOptions options) {
    long sizes = (long) options.readBufferSize() << 32 | options.writeBufferSize();
    return SHARED.computeIfAbsent(sizes, k -> forOptions(options));
  }

  /** Returns new pools sized for {@code options}, with no inbound budget. */
  public static BufferPools forOptions(ConnectionOptions options) {
    return forServer(options, Long.MAX_VALUE);
  }

  /**
   * Returns a server's new pools sized for {@code options}; the read pool keeps the server's
   * inbound budget of {@code inboundBudget} bytes (see {@link BufferPool}).
   */
  public static BufferPools forServer(ConnectionOptions options, long inboundBudget) {
    BufferPool read = new BufferPool(options.readBufferSize(), MAX_FREE, inboundBudget);
    int writeSize = Math.max(options.writeBufferSize(), MIN_WRITE_CHUNK);
    BufferPool write = writeSize == read.bufferSize() ? read : new BufferPool(writeSize, MAX_FREE);
    return new BufferPools(read, write);
  }
}
