package dev.socketserver.engine.stream;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The {@code OutputStream} of a connection, for every layer: writes gather in a buffer borrowed
 * from a pool (given back on flush, so an idle connection holds none) up to the write buffer size,
 * and drain into a {@link Sink}: the channel for a plain connection, the TLS engine for TLS.
 * Writes at least the buffer size long stream through the buffer in chunks of its capacity.
 *
 * <p>Each operation waits for room at most a timeout passed to it ({@link
 * BufferSource#CONNECTION_TIMEOUT}: the connection's write timeout); the stream methods use the
 * connection's, a layer with a deadline of its own (a TLS handshake) passes its own.
 *
 * <p>Thread-safety: confined to the writing thread, like any connection's output; {@link
 * #pendingFor} may be asked by the reading thread (a racy read that only ever answers for the
 * thread asking).
 */
public final class Outbound extends OutputStream implements WritableByteChannel {

  /** Where an output's bytes go once its buffer drains. */
  public interface Sink {
    /**
     * Writes all of {@code b}'s remaining bytes, waiting for room at most {@code timeoutNanos} per
     * wait (see {@link Outbound}).
     */
    void write(ByteBuffer b, long timeoutNanos) throws IOException;

    /** After a flush drained the buffer: pushes on what the sink buffers itself, if anything. */
    default void flushed(long timeoutNanos) throws IOException {}

    /** Closes the connection. */
    void close() throws IOException;
  }

  private final Sink sink;
  private final BufferPool pool;
  // Bytes buffered before a drain; 0: unbuffered (every write goes out at once).
  private final int size;
  private @Nullable ByteBuffer buffer;
  // Who filled the buffer; forgotten with it, so that a connection served in turns does not keep
  // its last turn's (finished) thread reachable.
  private @Nullable Thread writer;
  private volatile boolean closed;

  /**
   * An output buffering up to {@code size} bytes (at most {@code pool}'s buffer size; 0:
   * unbuffered) before it drains into {@code sink}.
   */
  public Outbound(Sink sink, BufferPool pool, int size) {
    this.sink = sink;
    this.pool = pool;
    this.size = Math.min(size, pool.bufferSize());
  }

  /** True if {@code thread} wrote bytes that are still buffered: it must flush before it waits to read. */
  public boolean pendingFor(Thread thread) {
    ByteBuffer b = buffer;
    return b != null && b.position() > 0 && writer == thread;
  }

  /** True if nothing is buffered. */
  boolean isEmpty() {
    ByteBuffer b = buffer;
    return b == null || b.position() == 0;
  }

  @Override
  public void write(int b) throws IOException {
    ByteBuffer buf = buffer;
    if (buf != null && buf.position() < size) {
      writer = Thread.currentThread();
      buf.put((byte) b);
    } else {
      write(new byte[] {(byte) b}, 0, 1);
    }
  }

  @Override
  public void write(byte[] src, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, src.length);
    write(ByteBuffer.wrap(src, off, len), BufferSource.CONNECTION_TIMEOUT);
  }

  /**
   * Writes all of {@code src}'s remaining bytes as the stream does (buffered, waiting for room
   * with the write timeout): the channel view of this stream, through which a framing writes a
   * {@link ByteBuffer} frame with no intermediate array.
   */
  @Override
  public int write(ByteBuffer src) throws IOException {
    int n = src.remaining();
    write(src, BufferSource.CONNECTION_TIMEOUT);
    return n;
  }

  /** False once this stream was closed. */
  @Override
  public boolean isOpen() {
    return !closed;
  }

  /** Writes {@code src}'s remaining bytes, waiting for room at most {@code timeoutNanos} per wait. */
  public void write(ByteBuffer src, long timeoutNanos) throws IOException {
    writer = Thread.currentThread();
    ByteBuffer b = buffer;
    if (b == null) {
      buffer = b = pool.take();
    }
    int len = src.remaining();
    if (len < size) {
      if (len > size - b.position()) {
        drain(b, timeoutNanos);
      }
      b.put(src);
      return;
    }
    drain(b, timeoutNanos);
    while (src.hasRemaining()) {
      int n = Math.min(src.remaining(), b.remaining());
      b.put(b.position(), src, src.position(), n);
      b.position(b.position() + n);
      src.position(src.position() + n);
      drain(b, timeoutNanos);
    }
    release();
  }

  /**
   * Copies as much of {@code src} as the buffer has room for (at least one byte); the caller then
   * calls {@link #drainIfFull()} (without holding a connection's lock).
   */
  int put(ByteBuffer src) {
    writer = Thread.currentThread();
    ByteBuffer b = buffer;
    if (b == null) {
      buffer = b = pool.take();
    }
    int limit = size == 0 ? b.capacity() : size;
    int n = Math.min(src.remaining(), limit - b.position());
    b.put(b.position(), src, src.position(), n);
    b.position(b.position() + n);
    src.position(src.position() + n);
    return n;
  }

  /** Drains the buffer if it is full, or flushes at once if this output is unbuffered. */
  void drainIfFull() throws IOException {
    ByteBuffer b = buffer;
    if (size == 0) {
      flush();
    } else if (b != null && b.position() >= size) {
      drain(b, BufferSource.CONNECTION_TIMEOUT);
    }
  }

  /** Writes {@code b}'s remaining bytes straight to the sink, bypassing the (empty) buffer. */
  void writeThrough(ByteBuffer b) throws IOException {
    sink.write(b, BufferSource.CONNECTION_TIMEOUT);
  }

  @Override
  public void flush() throws IOException {
    flush(BufferSource.CONNECTION_TIMEOUT);
  }

  /** Drains the buffer, gives it back and flushes the sink, waiting at most {@code timeoutNanos} per wait. */
  public void flush(long timeoutNanos) throws IOException {
    ByteBuffer b = buffer;
    if (b != null) {
      try {
        drain(b, timeoutNanos);
      } finally {
        release();
      }
    }
    sink.flushed(timeoutNanos);
  }

  private void release() {
    ByteBuffer b = buffer;
    buffer = null;
    writer = null;
    if (b != null) {
      pool.give(b);
    }
  }

  /** Writes out what {@code b} holds (write mode) and clears it. */
  private void drain(ByteBuffer b, long timeoutNanos) throws IOException {
    if (b.position() == 0) {
      return;
    }
    b.flip();
    try {
      sink.write(b, timeoutNanos);
    } finally {
      b.clear();
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    sink.close();
  }
}
