package dev.socketserver.engine.stream;

import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.engine.telemetry.Events;
import dev.socketserver.engine.telemetry.Limit;
import dev.socketserver.engine.telemetry.Logs;

import dev.socketserver.api.Connection;
import dev.socketserver.api.ConnectionOptions;
import dev.socketserver.api.Server;
import dev.socketserver.api.FrameDecoder;
import dev.socketserver.api.Framing;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * A stream {@link Connection} over a non-blocking {@link SocketChannel} (TCP or Unix) whose
 * readiness a {@link Poller} owns.
 *
 * <p>Reading: the poller thread reads on readiness into a buffer borrowed from the pool and
 * signals the connection's thread, which consumes from that buffer and gives it back once it is
 * empty; so an idle connection holds no buffer, and a round trip costs one read, one write and
 * a share of one epoll_wait, with no EAGAIN read and no re-arming. If the buffer fills because the
 * handler is slow, the poller stops reading until half of it is consumed: back-pressure to the
 * peer through TCP flow control.
 *
 * <p>Writing: the connection's thread writes straight to the channel; only when the socket's send
 * buffer is full does it ask the poller for write readiness and park.
 *
 * <p>Thread-safety: the inbound side is guarded by {@link #lock}, shared by the poller thread and
 * the reader. The output buffer is confined to the writing thread. {@link #abort()} may be called
 * from any thread.
 */
public final class ChannelConnection implements Connection, Poller.Ready, Poller.Expiring {
  private static final Logger log = Logs.get(ChannelConnection.class);

  private final SocketChannel channel;
  private final Poller poller;
  private final SelectionKey key;
  private final BufferPool readPool;
  private final BufferPool writePool;
  private final int writeBufferSize;
  private final Counters counters;
  private final SocketAddress remote;
  private final SocketAddress local;
  // Set by the acceptor before the connection is handed to its handler's thread; null for clients.
  private @Nullable Server server;
  private final Input input = new Input();
  private final Output output = new Output();

  private final ReentrantLock lock = new ReentrantLock();
  // Waiting: the one thread reading (writing) parks itself and names itself here, so a signal is
  // one unpark and a wait allocates nothing (a Condition allocates a node per await). A second
  // thread waiting on the same side at once (a misuse, but legal) waits on the crowd condition,
  // created then, which every signal wakes.
  private @Nullable Thread reader; // guarded by lock
  private @Nullable Thread writer; // guarded by lock
  private @Nullable Condition crowd; // guarded by lock
  // A handler served in turns (see resumeWhenReadable) waits with no thread: this starts its next
  // turn. Taken (and cleared) by whoever makes input available or closes the connection.
  private @Nullable Runnable resumer; // guarded by lock
  // Guarded by lock. Invariant: inbound is null or in read mode with bytes remaining.
  private @Nullable ByteBuffer inbound;
  private boolean eof;
  private boolean closed;
  private boolean readPaused;
  private boolean canWrite;
  private @Nullable IOException readFailure;
  // Bytes of an unfinished frame charged to the server's inbound budget (see charge).
  private long frameCharge;
  // Bytes a layer over this connection (TLS) holds for its life, charged likewise.
  private long layerCharge;
  private @Nullable String closeReason;
  // Traffic of this connection, for its ConnectionClosed event; read racily at close.
  private long bytesIn; // written by the poller thread
  private long bytesOut; // written by the one writing thread

  // For the poller's sweep: idle timeout and maximum lifetime (see Deadlines). The time of the
  // last byte either way is taken only when an idle timeout is watched: a clock read per read
  // and write is 1-2 % of a small echo's server CPU.
  private final long openedAt = System.nanoTime();
  private volatile long lastActivity = openedAt;
  private volatile @Nullable Deadlines deadlines;

  // A reader or writer waiting with a timeout parks without one and names its deadline here
  // (System.nanoTime(); 0: none); the poller's sweep wakes it once the deadline passed. A timed
  // park costs a JDK timer per wait: 3.7 us of server CPU per round trip of a 64-byte echo,
  // as much as the rest of the round trip.
  private volatile long readDeadline;
  private volatile long writeDeadline;

  private volatile long readTimeoutNanos;
  private volatile long writeTimeoutNanos;

  private ChannelConnection(
      SocketChannel channel,
      Poller poller,
      SelectionKey key,
      BufferPools pools,
      ConnectionOptions options,
      Counters counters)
      throws IOException {
    this.channel = channel;
    this.poller = poller;
    this.key = key;
    this.readPool = pools.read();
    this.writePool = pools.write();
    this.writeBufferSize = options.writeBufferSize();
    this.counters = counters;
    this.remote = Objects.requireNonNull(channel.getRemoteAddress(), "not connected");
    this.local = channel.getLocalAddress();
    this.readTimeoutNanos = nanos("readTimeout", options.readTimeout());
    this.writeTimeoutNanos = nanos("writeTimeout", options.writeTimeout());
  }

  /**
   * Makes {@code channel} non-blocking, registers it with {@code poller} and returns it as a
   * connection, which then owns the channel. On failure the channel is closed.
   */
  public static ChannelConnection open(
      SocketChannel channel,
      Poller poller,
      BufferPools pools,
      ConnectionOptions options,
      Counters counters)
      throws IOException {
    try {
      channel.configureBlocking(false);
      SelectionKey key = poller.register(channel);
      ChannelConnection c = new ChannelConnection(channel, poller, key, pools, options, counters);
      key.attach(c);
      key.interestOps(SelectionKey.OP_READ);
      poller.wakeup();
      return c;
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  @Override
  public InputStream input() {
    return input;
  }

  @Override
  public OutputStream output() {
    return output;
  }

  @Override
  public Server server() {
    Server s = server;
    return s == null ? Connection.super.server() : s;
  }

  /** Records the server that accepted this connection, before its handler runs. */
  void acceptedBy(@Nullable Server s) {
    this.server = s;
  }

  @Override
  public SocketAddress remoteAddress() {
    return remote;
  }

  @Override
  public SocketAddress localAddress() {
    return local;
  }

  @Override
  public Duration readTimeout() {
    return Duration.ofNanos(readTimeoutNanos);
  }

  @Override
  public void readTimeout(Duration timeout) {
    readTimeoutNanos = nanos("readTimeout", timeout);
  }

  @Override
  public Duration writeTimeout() {
    return Duration.ofNanos(writeTimeoutNanos);
  }

  @Override
  public void writeTimeout(Duration timeout) {
    writeTimeoutNanos = nanos("writeTimeout", timeout);
  }

  @Override
  public <T> T option(SocketOption<T> name) throws IOException {
    return channel.getOption(name);
  }

  @Override
  public <T> void option(SocketOption<T> name, T value) throws IOException {
    channel.setOption(name, value);
  }

  @Override
  public void shutdownOutput() throws IOException {
    output.flush();
    channel.shutdownOutput();
  }

  @Override
  public boolean isOpen() {
    lock.lock();
    try {
      return !closed;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Flushes, then closes. After a failed read (the peer reset the connection) nothing buffered
   * can reach the peer and the read already reported why, so the output is dropped instead.
   */
  @Override
  public void close() throws IOException {
    if (!isOpen()) {
      return;
    }
    try {
      if (!readFailed()) {
        output.flush();
      }
    } finally {
      abort();
    }
  }

  /** True once a read from the channel failed: the connection is broken (typically reset). */
  public boolean readFailed() {
    lock.lock();
    try {
      return readFailure != null;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Closes the connection at once, without flushing: from any thread. Wakes the connection's
   * thread if it is waiting to read or write; its next operation fails. Idempotent.
   */
  public void abort() {
    abort(null);
  }

  /** Returns when this connection was opened, in {@link System#nanoTime()} units. */
  long openedAt() {
    return openedAt;
  }

  /** Makes the poller's sweep close this connection when one of {@code limits} passes. */
  void watch(@Nullable Deadlines limits) {
    // Now, not openedAt: bytes the poller read before this call took no time stamp.
    lastActivity = System.nanoTime();
    this.deadlines = limits;
  }

  private void active() {
    Deadlines d = deadlines;
    if (d != null && d.idleNanos() != 0) {
      lastActivity = System.nanoTime();
    }
  }

  @Override
  public void expire(long now) {
    long rd = readDeadline;
    long wd = writeDeadline;
    if ((rd != 0 && now - rd >= 0) || (wd != 0 && now - wd >= 0)) {
      lock.lock();
      try {
        if (readDeadline != 0 && now - readDeadline >= 0) {
          signal(reader); // it finds its time up and throws SocketTimeoutException
        }
        if (writeDeadline != 0 && now - writeDeadline >= 0) {
          signal(writer);
        }
      } finally {
        lock.unlock();
      }
    }
    Deadlines d = deadlines;
    Limit passed = d == null ? null : d.passed(openedAt, lastActivity, now);
    if (d != null && passed != null && isOpen()) {
      counters.hit(passed, remote, d.value(passed));
      abort(passed.key() + " of " + d.value(passed) + " passed");
    }
  }

  private void abort(@Nullable String reason) {
    Runnable resume;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      closeReason = reason;
      ByteBuffer b = inbound;
      inbound = null;
      if (b != null) {
        readPool.giveCharged(b);
      }
      readPool.release(frameCharge + layerCharge);
      frameCharge = 0;
      layerCharge = 0;
      signal(reader);
      signal(writer);
      resume = takeResumer();
    } finally {
      lock.unlock();
    }
    if (resume != null) {
      resume.run(); // the turn finds the connection closed and ends it
    }
    Events.closed(remote, System.nanoTime() - openedAt, bytesIn, bytesOut, reason == null ? "closed" : reason);
    counters.closed(openedAt);
    // On the poller thread: see Poller. The selector releases the descriptor on its next select.
    poller.execute(this::release);
  }

  private void release() {
    key.cancel();
    closeQuietly(channel);
  }

  @Override
  public String toString() {
    return "Connection[" + local + " <- " + remote + "]";
  }

  // ---- poller side ----

  @Override
  public void ready(int readyOps) {
    if ((readyOps & SelectionKey.OP_WRITE) != 0) {
      lock.lock();
      try {
        canWrite = true;
        dropInterest(SelectionKey.OP_WRITE);
        signal(writer);
      } finally {
        lock.unlock();
      }
    }
    if ((readyOps & SelectionKey.OP_READ) != 0) {
      fill();
    }
  }

  private void fill() {
    Runnable resume = null;
    boolean overBudget = false;
    lock.lock();
    try {
      if (closed || eof || readFailure != null) {
        dropInterest(SelectionKey.OP_READ);
        return;
      }
      ByteBuffer b = inbound;
      if (b == null) {
        b = readPool.takeCharged();
        if (b == null) {
          overBudget = true;
          readFailure = overBudget("a read buffer of " + readPool.bufferSize() + " bytes");
          dropInterest(SelectionKey.OP_READ);
          return;
        }
      } else {
        b.compact();
      }
      int n;
      try {
        n = channel.read(b);
      } catch (IOException e) {
        readFailure = e;
        n = 0;
      }
      b.flip();
      if (n > 0) {
        counters.read(n);
        bytesIn += n;
        active();
      } else if (n < 0) {
        eof = true;
      }
      if (b.hasRemaining()) {
        inbound = b;
      } else {
        inbound = null;
        readPool.giveCharged(b);
      }
      if (eof || readFailure != null) {
        dropInterest(SelectionKey.OP_READ);
      } else if (inbound != null && inbound.remaining() == inbound.capacity()) {
        readPaused = true;
        dropInterest(SelectionKey.OP_READ);
      }
      if (n != 0 || eof || readFailure != null) {
        signal(reader);
        resume = takeResumer();
      }
    } finally {
      lock.unlock();
      if (overBudget) {
        abort(Limit.INBOUND_BUDGET.key() + " of " + readPool.budget() + " bytes exhausted");
      }
    }
    if (resume != null) {
      resume.run();
    }
  }

  /**
   * Counts a hit of the server's inbound budget and returns the failure this connection's reads
   * report: the connection asked for {@code what} and the budget had no room for it.
   */
  // lock held
  private IOException overBudget(String what) {
    counters.hit(Limit.INBOUND_BUDGET, remote, readPool.budget() + " bytes");
    return new IOException("Inbound memory budget of " + readPool.budget() + " bytes exhausted:"
        + " no room for " + what + " from " + remote + " (all connections' unread input and"
        + " partial frames count; raise StreamServerBuilder.inboundBudget or lower the framing's"
        + " maximum); closing the connection");
  }

  /**
   * Charges what {@code decoder}, fed by a layer over this connection (TLS), holds for an
   * unfinished frame to the server's inbound budget; see {@link #charge}.
   */
  public void chargeFrame(FrameDecoder decoder) throws IOException {
    lock.lock();
    try {
      charge(decoder);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Charges what {@code decoder} now holds for an unfinished frame to the server's inbound budget
   * (or releases what it no longer holds); if the budget has no room, fails the connection's reads
   * and throws. A peer that sends a large frame slowly is charged for the bytes it sent so far.
   */
  // lock held
  private void charge(FrameDecoder decoder) throws IOException {
    int holds = decoder.buffered();
    if (holds == frameCharge) {
      return;
    }
    if (holds < frameCharge) {
      readPool.release(frameCharge - holds);
    } else if (!readPool.reserveGrowth(holds - frameCharge)) {
      throw failOverBudget("a partial frame of " + holds + " bytes");
    }
    frameCharge = holds;
  }

  /**
   * Charges {@code bytes} that a layer over this connection holds for the connection's life (TLS's
   * record buffers) to the server's inbound budget, released when the connection closes; if the
   * budget has no room, fails and closes the connection and throws.
   */
  public void chargeLayer(int bytes) throws IOException {
    lock.lock();
    try {
      if (closed) {
        throw closedException();
      }
      if (!readPool.reserve(bytes)) {
        throw failOverBudget("the TLS record buffers of " + bytes + " bytes");
      }
      layerCharge += bytes;
    } finally {
      lock.unlock();
    }
  }

  /** Fails this connection's reads for want of {@code what}, closes it and returns the failure. */
  // lock held on entry and return; released while the connection closes
  private IOException failOverBudget(String what) {
    IOException e = overBudget(what);
    readFailure = e;
    lock.unlock();
    try {
      abort(Limit.INBOUND_BUDGET.key() + " of " + readPool.budget() + " bytes exhausted");
    } finally {
      lock.lock();
    }
    return e;
  }

  // lock held
  private @Nullable Runnable takeResumer() {
    Runnable r = resumer;
    resumer = null;
    return r;
  }

  // lock held
  private void dropInterest(int op) {
    try {
      key.interestOpsAnd(~op);
    } catch (CancelledKeyException e) {
      // closed concurrently: nothing to stop
    }
  }

  // lock held
  private void addInterest(int op) {
    try {
      key.interestOpsOr(op);
      poller.wakeup();
    } catch (CancelledKeyException e) {
      // closed concurrently: the waiter sees closed
    }
  }

  // ---- reader side; every method below runs with the lock held ----

  /** Waits until inbound data is available; returns it, or null at end of stream. */
  private @Nullable ByteBuffer awaitInbound() throws IOException {
    long timeout = readTimeoutNanos;
    long left = timeout;
    while (true) {
      ByteBuffer b = inbound;
      if (b != null) {
        return b;
      }
      if (ended()) {
        return null;
      }
      if (output.pendingFor(Thread.currentThread())) {
        // A request/response peer waits for our reply before it sends more: flush before waiting.
        lock.unlock();
        try {
          output.flush();
        } finally {
          lock.lock();
        }
        continue;
      }
      try {
        if (timeout == 0) {
          await(true, 0);
        } else if (left <= 0) {
          counters.hit(Limit.READ_TIMEOUT, remote, Duration.ofNanos(timeout));
          throw new SocketTimeoutException(
              "Read timed out after " + Duration.ofNanos(timeout) + " waiting for " + remote);
        } else {
          left = await(true, left);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("Interrupted while waiting to read from " + remote);
      }
    }
  }

  /**
   * With nothing buffered: true at end of stream, false if more may come; throws if reading
   * failed or the connection is closed.
   */
  private boolean ended() throws IOException {
    IOException failure = readFailure;
    if (failure != null) {
      SocketException e = new SocketException(failure.getMessage());
      e.initCause(failure);
      throw e;
    }
    if (eof) {
      return true;
    }
    if (closed) {
      throw closedException();
    }
    return false;
  }

  private void consumed(ByteBuffer b) {
    if (!b.hasRemaining()) {
      inbound = null;
      readPool.giveCharged(b);
    }
    resumeReading();
  }

  // lock held: after the reader consumed, reads resume once the buffer is at most half full
  private void resumeReading() {
    ByteBuffer left = inbound;
    if (readPaused && (left == null || left.remaining() <= left.capacity() / 2)) {
      readPaused = false;
      addInterest(SelectionKey.OP_READ);
    }
  }

  // Made on first use: a connection whose handler never reads frames (an echo, most idle ones)
  // saves its 40 bytes. Frames only caches a framing, so two made by racing readers are harmless.
  private @Nullable Frames frames;

  private Frames frames() {
    Frames f = frames;
    if (f == null) {
      frames = f = new Frames(this::decode);
    }
    return f;
  }

  @Override
  public @Nullable String readLine(int maxBytes) throws IOException {
    return frames().readLine(maxBytes);
  }

  @Override
  public byte @Nullable [] readFrame(Framing framing) throws IOException {
    return frames().readFrame(framing);
  }

  /**
   * Feeds the inbound buffer straight into {@code decoder} until it yields a frame; returns it, or
   * null at end of stream with the decoder holding what it got. The decoder consumes no byte past
   * the frame, which stays in the buffer for the next read.
   */
  private byte @Nullable [] decode(FrameDecoder decoder) throws IOException {
    return nextFrame(decoder, true);
  }

  /** What {@link #pollFrame} returns when what is buffered ends before a frame does. */
  static final byte[] NEED_INPUT = new byte[0];

  /**
   * Returns the next frame of what is already buffered, without waiting: a frame; {@link
   * #NEED_INPUT} (compare by identity) if the buffer ends first, the decoder keeping the partial
   * frame; or null at end of stream. For a handler served in turns.
   *
   * @throws IOException if reading failed, the connection is closed, or the framing is broken
   */
  byte @Nullable [] pollFrame(FrameDecoder decoder) throws IOException {
    return nextFrame(decoder, false);
  }

  private byte @Nullable [] nextFrame(FrameDecoder decoder, boolean wait) throws IOException {
    lock.lock();
    try {
      while (true) {
        ByteBuffer b = wait ? awaitInbound() : inbound;
        if (b == null) {
          return wait || ended() ? null : NEED_INPUT;
        }
        byte[] frame;
        try {
          frame = decoder.decode(b);
        } finally {
          consumed(b);
        }
        charge(decoder);
        if (frame != null) {
          return frame;
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Arranges for {@code resume} to run once input arrives, the stream ends, reading fails or the
   * connection closes, on the thread that sees it (the poller, or the one closing), and returns
   * true; returns false, arranging nothing, if one of those has happened already. {@code resume}
   * must not block. One at a time: a handler served in turns calls this as the last thing its
   * thread does.
   */
  boolean resumeWhenReadable(Runnable resume) {
    lock.lock();
    try {
      if (inbound != null || eof || readFailure != null || closed) {
        return false;
      }
      resumer = resume;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** True if reads on this connection may wait without limit (no read timeout). */
  public boolean readsWaitForever() {
    return readTimeoutNanos == 0;
  }

  private final class Input extends InputStream {
    @Override
    public int read() throws IOException {
      lock.lock();
      try {
        ByteBuffer b = awaitInbound();
        if (b == null) {
          return -1;
        }
        int v = b.get() & 0xff;
        consumed(b);
        return v;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public int read(byte[] dst, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, dst.length);
      if (len == 0) {
        return 0;
      }
      lock.lock();
      try {
        ByteBuffer b = awaitInbound();
        if (b == null) {
          return -1;
        }
        int n = Math.min(len, b.remaining());
        b.get(dst, off, n);
        consumed(b);
        return n;
      } finally {
        lock.unlock();
      }
    }

    /**
     * Streams to {@code out} until end of stream. Into this connection's own output (an echo) no
     * intermediate array is used, so a handler parked in {@code transferTo} holds no buffer at all
     * while idle (the inherited method allocates 16 KiB per call and keeps it for the connection's
     * life): the pooled buffer the poller read into is written to the channel as it is when
     * nothing is buffered ahead of it (no copy), else copied into the write buffer behind what is.
     * Other streams get the inherited behaviour.
     */
    @Override
    public long transferTo(OutputStream out) throws IOException {
      Objects.requireNonNull(out, "out");
      if (out != output) {
        return super.transferTo(out);
      }
      long total = 0;
      while (true) {
        ByteBuffer taken = null;
        lock.lock();
        try {
          ByteBuffer b = awaitInbound(); // flushes what the previous turns buffered first
          if (b == null) {
            return total;
          }
          if (output.isEmpty()) {
            // Nothing is buffered ahead of these bytes: write the poller's buffer itself, no copy.
            // The poller reads what comes next into a new one.
            taken = b;
            inbound = null;
            resumeReading();
          } else {
            total += output.put(b);
            consumed(b);
          }
        } finally {
          lock.unlock();
        }
        if (taken == null) {
          output.drainIfFull();
          continue;
        }
        try {
          total += taken.remaining();
          output.writeFully(taken);
        } finally {
          readPool.giveCharged(taken);
        }
      }
    }

    @Override
    public int available() {
      lock.lock();
      try {
        ByteBuffer b = inbound;
        return b == null ? 0 : b.remaining();
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void close() throws IOException {
      ChannelConnection.this.close();
    }
  }

  // ---- writer side ----

  private final class Output extends OutputStream {
    // Confined to the writing thread.
    private @Nullable ByteBuffer buffer;
    // Who filled the buffer; forgotten with it, so that a connection served in turns does not
    // keep its last turn's (finished) thread reachable.
    private @Nullable Thread writer;

    boolean pendingFor(Thread thread) {
      ByteBuffer b = buffer;
      return b != null && b.position() > 0 && writer == thread;
    }

    @Override
    public void write(int b) throws IOException {
      ByteBuffer buf = buffer;
      if (buf != null && buf.position() < writeBufferSize) {
        writer = Thread.currentThread();
        buf.put((byte) b);
      } else {
        write(new byte[] {(byte) b}, 0, 1);
      }
    }

    // Pooled write buffers hold at least 8 KiB (see BufferPools): only writeBufferSize bytes of one
    // are used for buffering, all of it for streaming a large or unbuffered write.
    @Override
    public void write(byte[] src, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, src.length);
      writer = Thread.currentThread();
      ByteBuffer b = buffer;
      if (b == null) {
        buffer = b = writePool.take();
      }
      if (len < writeBufferSize) {
        if (len > writeBufferSize - b.position()) {
          drain(b);
        }
        b.put(src, off, len);
        return;
      }
      drain(b);
      while (len > 0) {
        int n = Math.min(len, b.remaining());
        b.put(src, off, n);
        off += n;
        len -= n;
        drain(b);
      }
      buffer = null;
      writer = null;
      writePool.give(b);
    }

    /**
     * Copies as much of {@code src} as the write buffer has room for (at least one byte); the
     * caller then calls {@link #drainIfFull()} without holding the lock.
     */
    int put(ByteBuffer src) {
      writer = Thread.currentThread();
      ByteBuffer b = buffer;
      if (b == null) {
        buffer = b = writePool.take();
      }
      int limit = writeBufferSize == 0 ? b.capacity() : writeBufferSize;
      int n = Math.min(src.remaining(), limit - b.position());
      b.put(b.position(), src, src.position(), n);
      b.position(b.position() + n);
      src.position(src.position() + n);
      return n;
    }

    /** Writes the buffer out if it is full, or at once if output is unbuffered. */
    void drainIfFull() throws IOException {
      ByteBuffer b = buffer;
      if (writeBufferSize == 0) {
        flush();
      } else if (b != null && b.position() >= writeBufferSize) {
        drain(b);
      }
    }

    @Override
    public void flush() throws IOException {
      ByteBuffer b = buffer;
      if (b != null) {
        buffer = null;
        writer = null;
        try {
          drain(b);
        } finally {
          writePool.give(b);
        }
      }
    }

    @Override
    public void close() throws IOException {
      ChannelConnection.this.close();
    }

    /** True if nothing is buffered. */
    boolean isEmpty() {
      ByteBuffer b = buffer;
      return b == null || b.position() == 0;
    }

    /** Writes out what {@code b} holds (write mode) and clears it. */
    private void drain(ByteBuffer b) throws IOException {
      if (b.position() == 0) {
        return;
      }
      b.flip();
      try {
        writeFully(b);
      } finally {
        b.clear();
      }
    }

    /** Writes all of {@code b}'s remaining bytes, waiting for room as needed. */
    void writeFully(ByteBuffer b) throws IOException {
      while (b.hasRemaining()) {
        int n = channel.write(b);
        if (n > 0) {
          counters.written(n);
          bytesOut += n;
          active();
        } else {
          awaitWritable();
        }
      }
    }
  }

  private void awaitWritable() throws IOException {
    long timeout = writeTimeoutNanos;
    long left = timeout;
    lock.lock();
    try {
      canWrite = false;
      addInterest(SelectionKey.OP_WRITE);
      while (!canWrite) {
        if (closed) {
          throw closedException();
        }
        if (timeout == 0) {
          await(false, 0);
        } else if (left <= 0) {
          counters.hit(Limit.WRITE_TIMEOUT, remote, Duration.ofNanos(timeout));
          throw new SocketTimeoutException(
              "Write timed out after " + Duration.ofNanos(timeout) + " waiting for " + remote
                  + " to read");
        } else {
          left = await(false, left);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("Interrupted while waiting to write to " + remote);
    } finally {
      lock.unlock();
    }
  }

  // lock held
  private void signal(@Nullable Thread waiter) {
    if (waiter != null) {
      LockSupport.unpark(waiter);
    }
    Condition c = crowd;
    if (c != null) {
      c.signalAll();
    }
  }

  /**
   * Waits, with the lock held on entry and on return, until signalled, interrupted or {@code nanos}
   * pass (0: no time limit; the poller's sweep notices the deadline within an eighth of
   * {@code nanos}, 5 ms to 1 s, and wakes the thread); may return early for no reason, so callers
   * re-check their state. Returns the nanoseconds left, as {@link Condition#awaitNanos} does.
   */
  private long await(boolean reading, long nanos) throws InterruptedException {
    Thread me = Thread.currentThread();
    Thread other = reading ? reader : writer;
    if (other != null && other != me) {
      Condition queued = crowd;
      if (queued == null) {
        crowd = queued = lock.newCondition();
      }
      if (nanos == 0) {
        queued.await();
        return 0;
      }
      return queued.awaitNanos(nanos);
    }
    long start = nanos == 0 ? 0 : System.nanoTime();
    if (reading) {
      reader = me;
      readDeadline = nanos == 0 ? 0 : nonZero(start + nanos);
    } else {
      writer = me;
      writeDeadline = nanos == 0 ? 0 : nonZero(start + nanos);
    }
    if (nanos != 0) {
      poller.sweepWithin(nanos); // the sweep, not a timer, wakes this thread at the deadline
    }
    lock.unlock();
    try {
      LockSupport.park(this);
    } finally {
      lock.lock();
      if (reading) {
        reader = null;
        readDeadline = 0;
      } else {
        writer = null;
        writeDeadline = 0;
      }
    }
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
    return nanos == 0 ? 0 : nanos - (System.nanoTime() - start);
  }

  /** A deadline as {@link #readDeadline} holds it: 0 means none, so 0 itself becomes 1. */
  private static long nonZero(long nanoTime) {
    return nanoTime == 0 ? 1 : nanoTime;
  }

  // lock held
  private SocketException closedException() {
    String reason = closeReason;
    return new SocketException(reason == null ? "Socket closed" : "Socket closed: " + reason);
  }

  private static long nanos(String what, Duration timeout) {
    if (timeout.isNegative()) {
      throw new IllegalArgumentException(what + " < 0: " + timeout);
    }
    try {
      return timeout.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }

  private static void closeQuietly(SocketChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      log.debug("Closing {} failed", channel, e);
    }
  }
}
