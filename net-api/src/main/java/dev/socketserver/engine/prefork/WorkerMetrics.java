package dev.socketserver.engine.prefork;

import dev.socketserver.api.ServerMetrics;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A worker's state and counters, shared with its supervisor through a small memory-mapped file:
 * the worker writes, the supervisor reads.
 *
 * <p>Why a mapped file: it needs no protocol, no socket and no thread in the supervisor, a read
 * never waits for a busy or dying worker, and the counters a worker wrote last stay readable
 * after it died (even by {@code kill -9}), so the supervisor's sums only grow. The worker's
 * standard output and error stay the user's (they are the supervisor's own), and its standard
 * input carries the supervisor's "drain now" (end of input), see {@link WorkerLink}.
 *
 * <p>Layout: longs in native byte order, each written and read atomically with release/acquire
 * ordering: the state ({@link #STARTING}, {@link #SERVING}, {@link #TERMINATED}), the heartbeat
 * (how many times the worker published, so the supervisor sees it advance by its own clock: no
 * clock is compared across processes) and the counters of {@link ServerMetrics} in their order
 * ({@link #values}). One process publishes, from one thread at a time; any thread may read.
 * The owner closes it, and a second close does nothing.
 */
final class WorkerMetrics implements AutoCloseable {
  /** Started, not yet listening. */
  static final long STARTING = 0;
  /** Listening: the worker's server was built. */
  static final long SERVING = 1;
  /** The worker's server terminated; the counters are final. */
  static final long TERMINATED = 2;

  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
  private static final int COUNTERS = ServerMetrics.class.getRecordComponents().length;
  private static final int HEARTBEAT = Long.BYTES; // the state is at 0, the counters follow
  private static final int FIELDS = 2 + COUNTERS;
  /** All counters zero. */
  static final ServerMetrics ZERO = metrics(new long[COUNTERS]);

  private final FileChannel channel;
  private final MappedByteBuffer buffer;

  private WorkerMetrics(FileChannel channel) throws IOException {
    this.channel = channel;
    this.buffer = channel.map(FileChannel.MapMode.READ_WRITE, 0, (long) FIELDS * Long.BYTES);
  }

  /** Opens (creating it if needed) the file at {@code path}. */
  static WorkerMetrics open(Path path) throws IOException {
    FileChannel channel =
        FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      return new WorkerMetrics(channel);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Writes the worker's counters, then advances its heartbeat, then writes its state. */
  void publish(long state, ServerMetrics m) {
    long[] values = values(m);
    for (int i = 0; i < values.length; i++) {
      LONGS.setRelease(buffer, (i + 2) * Long.BYTES, values[i]);
    }
    LONGS.setRelease(buffer, HEARTBEAT, heartbeat() + 1);
    LONGS.setRelease(buffer, 0, state);
  }

  /** Returns the state last published. */
  long state() {
    return (long) LONGS.getAcquire(buffer, 0);
  }

  /** Returns how many times the worker published; 0 before the first. */
  long heartbeat() {
    return (long) LONGS.getAcquire(buffer, HEARTBEAT);
  }

  /** Returns the counters last published; all zero before the first. */
  ServerMetrics read() {
    long[] v = new long[COUNTERS];
    for (int i = 0; i < COUNTERS; i++) {
      v[i] = (long) LONGS.getAcquire(buffer, (i + 2) * Long.BYTES);
    }
    return metrics(v);
  }

  /** Clears state, heartbeat and counters, for a new worker. */
  void reset() {
    for (int i = 0; i < FIELDS; i++) {
      LONGS.setRelease(buffer, i * Long.BYTES, 0L);
    }
  }

  /** Returns the sum of two snapshots; {@code active} is {@code a}'s plus {@code b}'s. */
  static ServerMetrics sum(ServerMetrics a, ServerMetrics b) {
    long[] x = values(a);
    long[] y = values(b);
    for (int i = 0; i < x.length; i++) {
      x[i] += y[i];
    }
    return metrics(x);
  }

  /** Returns {@code m} with no request active: what a dead worker leaves behind. */
  static ServerMetrics retired(ServerMetrics m) {
    long[] v = values(m);
    v[1] = 0; // active
    return metrics(v);
  }

  /** Returns the counters of {@code m} in the record's order. */
  static long[] values(ServerMetrics m) {
    return new long[] {
      m.accepted(), m.active(), m.completed(), m.failed(), m.rejected(), m.bytesRead(),
      m.bytesWritten(), m.replies(), m.readTimeouts(), m.writeTimeouts(), m.idleTimeouts(),
      m.lifetimeExpirations(), m.limitWaits(), m.cut(), m.inboundBudgetHits(),
      m.renegotiationsRefused(), m.probes()
    };
  }

  /** Returns the counters {@code v} in the record's order: the inverse of {@link #values}. */
  static ServerMetrics metrics(long[] v) {
    return new ServerMetrics(
        v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13],
        v[14], v[15], v[16]);
  }

  @Override
  public void close() throws IOException {
    channel.close(); // the mapping itself goes with the buffer
  }
}
