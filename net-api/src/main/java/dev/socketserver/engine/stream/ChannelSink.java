package dev.socketserver.engine.stream;

import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.engine.telemetry.Limit;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The outbound side of a {@link ChannelConnection}: its {@link Outbound} drains here, straight
 * to the channel; only when the socket's send buffer is full does the writer ask the poller for
 * write readiness and park.
 *
 * <p>Thread-safety: written by the one writing thread; {@link #writable()} comes from the
 * poller. The readiness flag is guarded by the connection's {@link Parking#lock}.
 *
 * <p>A write on the poller thread (a {@linkplain dev.socketserver.api.Handlers#nonBlocking
 * non-blocking} handler's turn) never waits: what the socket does not take is kept aside, and
 * the next write on another thread sends it first. The turn then stops and hands the connection
 * to a thread of its own (see {@link FrameTurns#serveInline()}), so at most one turn's output is
 * kept aside.
 */
final class ChannelSink implements Outbound.Sink {
  private final ChannelConnection connection;
  private final SocketChannel channel;
  private final Parking parking;
  private final Counters counters;
  private boolean canWrite; // guarded by parking.lock
  long bytesOut; // written by the one writing thread; read racily at close
  // What a write on the poller thread could not send (read mode), or null. Written by the poller
  // thread, read by the thread the turn is handed to next: that hand-off (a thread start) orders
  // them.
  private @Nullable ByteBuffer spill;

  ChannelSink(ChannelConnection connection, SocketChannel channel, Parking parking, Counters counters) {
    this.connection = connection;
    this.channel = channel;
    this.parking = parking;
    this.counters = counters;
  }

  @Override
  public void write(ByteBuffer b, long timeoutNanos) throws IOException {
    ByteBuffer kept = spill;
    if (kept != null) {
      if (connection.onPollerThread()) {
        keep(b); // behind what is kept already, in order
        return;
      }
      spill = null;
      send(kept, timeoutNanos);
    }
    send(b, timeoutNanos);
  }

  /** Sends what a write on the poller thread kept aside, unless on the poller thread. */
  @Override
  public void flushed(long timeoutNanos) throws IOException {
    ByteBuffer kept = spill;
    if (kept != null && !connection.onPollerThread()) {
      spill = null;
      send(kept, timeoutNanos);
    }
  }

  /** True if a write on the poller thread kept bytes aside: the turn must go on another thread. */
  boolean spilled() {
    return spill != null;
  }

  private void send(ByteBuffer b, long timeoutNanos) throws IOException {
    while (b.hasRemaining()) {
      int n = channel.write(b);
      if (n > 0) {
        counters.written(n);
        bytesOut += n;
        connection.active();
      } else if (connection.onPollerThread()) {
        keep(b);
      } else {
        awaitWritable(
            timeoutNanos == BufferSource.CONNECTION_TIMEOUT ? connection.writeTimeoutNanos() : timeoutNanos);
      }
    }
  }

  /** Keeps {@code b}'s remaining bytes aside (consuming them), behind any kept before. */
  private void keep(ByteBuffer b) {
    ByteBuffer kept = spill;
    int have = kept == null ? 0 : kept.remaining();
    ByteBuffer grown = ByteBuffer.allocate(have + b.remaining());
    if (kept != null) {
      grown.put(kept);
    }
    grown.put(b).flip();
    spill = grown;
  }

  @Override
  public void close() throws IOException {
    connection.close();
  }

  /** The poller found the channel writable: wakes the writer. */
  void writable() {
    parking.lock.lock();
    try {
      canWrite = true;
      connection.interest(SelectionKey.OP_WRITE, false);
      parking.signal(false);
    } finally {
      parking.lock.unlock();
    }
  }

  private void awaitWritable(long timeout) throws IOException {
    long left = timeout;
    parking.lock.lock();
    try {
      canWrite = false;
      connection.interest(SelectionKey.OP_WRITE, true);
      while (!canWrite) {
        if (connection.closedLocked()) {
          throw connection.closedException();
        }
        if (timeout == 0) {
          parking.await(false, 0);
        } else if (left <= 0) {
          counters.hit(Limit.WRITE_TIMEOUT, connection.remoteAddress(), Duration.ofNanos(timeout));
          throw new SocketTimeoutException("Write timed out after " + Duration.ofNanos(timeout)
              + " waiting for " + connection.remoteAddress() + " to read");
        } else {
          left = parking.await(false, left);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(
          "Interrupted while waiting to write to " + connection.remoteAddress());
    } finally {
      parking.lock.unlock();
    }
  }
}
