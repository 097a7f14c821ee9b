package dev.socketserver.engine.stream;

import dev.socketserver.api.FrameDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The {@code InputStream} of a connection, over its {@link BufferSource}, and the frame decoding
 * behind {@code readLine}/{@code readFrame} ({@link Frames}): the decoder reads straight from the
 * source's buffer and consumes no byte past the frame. Reads wait at most {@code timeoutNanos}
 * each ({@link BufferSource#CONNECTION_TIMEOUT}: the connection's read timeout), so a layer that
 * reads within a deadline of its own (a PROXY header, a TLS handshake) uses a view made with
 * {@link #within} instead of changing the connection's timeout.
 *
 * <p>Thread-safety: as the source; one reader at a time is the normal use.
 */
public final class SourceInput extends InputStream implements Frames.Source {
  private final BufferSource source;
  private final long timeoutNanos;

  public SourceInput(BufferSource source) {
    this(source, BufferSource.CONNECTION_TIMEOUT);
  }

  private SourceInput(BufferSource source, long timeoutNanos) {
    this.source = source;
    this.timeoutNanos = timeoutNanos;
  }

  /** Returns a view of the same input whose reads each wait at most {@code timeoutNanos}. */
  public SourceInput within(long timeoutNanos) {
    return new SourceInput(source, timeoutNanos);
  }

  @Override
  public int read() throws IOException {
    source.lock();
    try {
      ByteBuffer b = source.await(timeoutNanos, false);
      if (b == null) {
        return -1;
      }
      int v = b.get() & 0xff;
      source.consumed(b);
      return v;
    } finally {
      source.unlock();
    }
  }

  @Override
  public int read(byte[] dst, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, dst.length);
    if (len == 0) {
      return 0;
    }
    source.lock();
    try {
      ByteBuffer b = source.await(timeoutNanos, false);
      if (b == null) {
        return -1;
      }
      int n = Math.min(len, b.remaining());
      b.get(dst, off, n);
      source.consumed(b);
      return n;
    } finally {
      source.unlock();
    }
  }

  /** Reads into {@code dst}'s remaining space; returns the count, or -1 at end of stream. */
  public int read(ByteBuffer dst) throws IOException {
    if (!dst.hasRemaining()) {
      return 0;
    }
    source.lock();
    try {
      ByteBuffer b = source.await(timeoutNanos, false);
      if (b == null) {
        return -1;
      }
      int n = Math.min(dst.remaining(), b.remaining());
      dst.put(dst.position(), b, b.position(), n);
      dst.position(dst.position() + n);
      b.position(b.position() + n);
      source.consumed(b);
      return n;
    } finally {
      source.unlock();
    }
  }

  /**
   * Waits until input is buffered (true) or the stream ended (false), consuming nothing: a layer
   * that needs a buffer of its own to read into takes it only once there is something to read.
   * {@code atBoundary}: as {@link BufferSource#await}.
   */
  public boolean awaitReadable(boolean atBoundary) throws IOException {
    source.lock();
    try {
      return source.await(timeoutNanos, atBoundary) != null;
    } finally {
      source.unlock();
    }
  }

  /** As {@link InputStream#transferTo}, without an intermediate array where the source allows. */
  @Override
  public long transferTo(OutputStream out) throws IOException {
    Objects.requireNonNull(out, "out");
    long n = source.transferTo(out);
    return n >= 0 ? n : super.transferTo(out);
  }

  @Override
  public int available() {
    source.lock();
    try {
      return source.buffered();
    } finally {
      source.unlock();
    }
  }

  @Override
  public byte @Nullable [] decode(FrameDecoder decoder) throws IOException {
    source.lock();
    try {
      while (true) {
        ByteBuffer b = source.await(timeoutNanos, decoder.buffered() == 0);
        if (b == null) {
          return null;
        }
        byte[] frame;
        try {
          frame = decoder.decode(b);
        } finally {
          source.consumed(b);
        }
        source.charge(decoder);
        if (frame != null) {
          return frame;
        }
      }
    } finally {
      source.unlock();
    }
  }

  @Override
  public void close() throws IOException {
    source.close();
  }
}
