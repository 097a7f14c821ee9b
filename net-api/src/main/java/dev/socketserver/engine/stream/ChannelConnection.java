package dev.socketserver.engine.stream;

import dev.socketserver.api.Connection;
import dev.socketserver.api.ConnectionOptions;
import dev.socketserver.api.FrameDecoder;
import dev.socketserver.api.Framing;
import dev.socketserver.api.Handlers;
import dev.socketserver.api.Server;
import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.engine.telemetry.Events;
import dev.socketserver.engine.telemetry.Limit;
import dev.socketserver.engine.telemetry.Logs;
import dev.socketserver.spi.Resumable;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * A stream {@link Connection} over a non-blocking {@link SocketChannel} (TCP or Unix) whose
 * readiness a {@link Poller} owns: the bottom layer, which TLS and PROXY wrap.
 *
 * <p>It is three parts: the {@link Inbound} side (the poller reads into a pooled buffer, the
 * reader consumes it; back-pressure, the inbound budget, resumption of a handler served in turns),
 * the {@link Outbound} side (the write buffer, draining into this connection's channel sink,
 * which parks for writability only when the socket's send buffer is full), and {@link Parking},
 * where the reader and writer wait with their deadlines. This class joins them: the poller's
 * callbacks, closing, deadlines of the connection's life, and the {@link Connection} methods.
 *
 * <p>Thread-safety: the inbound side and the closed state are guarded by the parking lock, shared
 * by the poller thread and the reader. The output is confined to the writing thread. {@link
 * #abort()} may be called from any thread.
 */
public final class ChannelConnection
    implements Connection, Poller.Ready, Poller.Expiring, Resumable {
  private static final Logger log = Logs.get(ChannelConnection.class);
  /** How long a connection closed by a drain waits for its peer to close too. */
  static final Duration DRAIN_LINGER = Duration.ofSeconds(2);

  private final SocketChannel channel;
  private final Poller poller;
  private final SelectionKey key;
  private final Counters counters;
  private final SocketAddress remote;
  private final SocketAddress local;
  // Set by the acceptor before the connection is handed to its handler's thread; null for clients.
  private @Nullable Server server;
  private final Parking parking;
  private final Inbound inbound;
  private final SourceInput input;
  private final ChannelSink sink;
  private final Outbound output;
  // Made on first use: a connection whose handler never reads frames (an echo, most idle ones)
  // saves its 40 bytes. Frames only caches a framing, so two made by racing readers are harmless.
  private @Nullable Frames frames;

  private boolean closed; // guarded by parking.lock
  private @Nullable String closeReason; // guarded by parking.lock

  // For the poller's sweep: idle timeout and maximum lifetime (see Deadlines). The time of the
  // last byte either way is taken only when an idle timeout is watched: a clock read per read
  // and write is 1-2 % of a small echo's server CPU.
  private final long openedAt = System.nanoTime();
  private volatile long lastActivity = openedAt;
  private volatile @Nullable Deadlines deadlines;

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
    this.counters = counters;
    this.remote = Objects.requireNonNull(channel.getRemoteAddress(), "not connected");
    this.local = channel.getLocalAddress();
    this.readTimeoutNanos = nanos("readTimeout", options.readTimeout());
    this.writeTimeoutNanos = nanos("writeTimeout", options.writeTimeout());
    this.parking = new Parking(poller);
    this.inbound = new Inbound(this, channel, parking, pools.read(), counters);
    this.input = new SourceInput(inbound);
    this.sink = new ChannelSink(this, channel, parking, counters);
    this.output = new Outbound(sink, pools.write(), options.writeBufferSize());
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
    SelectionKey key = null;
    try {
      channel.configureBlocking(false);
      key = poller.register(channel);
      ChannelConnection c = new ChannelConnection(channel, poller, key, pools, options, counters);
      key.attach(c);
      key.interestOps(SelectionKey.OP_READ);
      poller.wakeup();
      return c;
    } catch (IOException | RuntimeException e) {
      if (key != null) {
        poller.closing(); // registered, so counted in the poller's load
      }
      closeQuietly(channel);
      throw e;
    }
  }

  /** The input; its {@link SourceInput#within} views read within a deadline of their own. */
  @Override
  public SourceInput input() {
    return input;
  }

  /** The output; its {@link Outbound#write(ByteBuffer, long)} and {@link Outbound#flush(long)} take a timeout of their own. */
  @Override
  public Outbound output() {
    return output;
  }

  /**
   * Returns a view of this connection whose reads ({@code input()}, {@code readLine}, {@code
   * readFrame}) each wait at most {@code timeout} instead of the read timeout: for a layer that
   * reads within a limit of its own (a PROXY header), without changing the connection's timeout.
   */
  public Connection readingWithin(Duration timeout) {
    return ForwardingConnection.readingWithin(this, input.within(nanos("timeout", timeout)));
  }

  Outbound outbound() {
    return output;
  }

  /**
   * Makes a reader of this connection flush {@code top}, the output of a layer over it (TLS),
   * before it waits for input, as it flushes its own: the peer may be waiting for our reply.
   */
  public void flushBeforeReading(Outbound top) {
    inbound.outermost(top);
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

  long readTimeoutNanos() {
    return readTimeoutNanos;
  }

  long writeTimeoutNanos() {
    return writeTimeoutNanos;
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
    parking.lock.lock();
    try {
      return !closed;
    } finally {
      parking.lock.unlock();
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
        if (inbound.draining()) {
          // Closed by a drain: end of stream first, then what the client still sends is read
          // and dropped until it closes too, so a request racing the close meets no reset.
          inbound.lingerForPeer(channel, DRAIN_LINGER);
        }
      }
    } finally {
      abort();
    }
  }

  /**
   * Marks where the client's request starts: what was read so far and consumed (a PROXY protocol
   * header) is not the client's own. See {@link #silent()}.
   */
  public void markRequestStart() {
    inbound.markRequestStart();
  }

  /**
   * True if the client sent nothing past {@link #markRequestStart()} (the start by default) and
   * ended the connection itself (closed or reset it, not timed out by this side): a health check's
   * connect and close.
   */
  public boolean silent() {
    return inbound.silent();
  }

  /** The server drains: reads waiting at a message boundary end (see Connection.draining()). */
  void startDraining() {
    inbound.startDraining();
  }

  @Override
  public boolean draining() {
    return inbound.draining();
  }

  /** See {@link Inbound#awaitAtBoundary()}. */
  boolean awaitAtBoundary() throws IOException {
    return inbound.awaitAtBoundary();
  }

  /** True once a read from the channel failed: the connection is broken (typically reset). */
  public boolean readFailed() {
    parking.lock.lock();
    try {
      return inbound.failed();
    } finally {
      parking.lock.unlock();
    }
  }

  /**
   * Closes the connection at once, without flushing: from any thread. Wakes the connection's
   * thread if it is waiting to read or write; its next operation fails. Idempotent.
   */
  public void abort() {
    abort(null);
  }

  void abort(@Nullable String reason) {
    Runnable resume;
    parking.lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      closeReason = reason;
      resume = inbound.closeLocked();
      parking.signal(false);
    } finally {
      parking.lock.unlock();
    }
    if (resume != null) {
      resume.run(); // the turn finds the connection closed and ends it
    }
    Events.closed(remote, System.nanoTime() - openedAt, inbound.bytesIn, sink.bytesOut,
        reason == null ? "closed" : reason);
    counters.closed(openedAt);
    poller.closing();
    // On the poller thread: see Poller. The selector releases the descriptor on its next select.
    poller.execute(this::release);
  }

  private void release() {
    key.cancel();
    closeQuietly(channel);
  }

  /** True if the calling thread is this connection's poller: it must not wait. */
  boolean onPollerThread() {
    return poller.isCurrentThread();
  }

  /** See {@link ChannelSink#spilled()}. */
  boolean spilled() {
    return sink.spilled();
  }

  // parking.lock held
  boolean closedLocked() {
    return closed;
  }

  // parking.lock held
  SocketException closedException() {
    String reason = closeReason;
    return new SocketException(reason == null ? "Socket closed" : "Socket closed: " + reason);
  }

  @Override
  public String toString() {
    return "Connection[" + local + " <- " + remote + "]";
  }

  // ---- deadlines of the connection's life ----

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

  void active() {
    Deadlines d = deadlines;
    if (d != null && d.idleNanos() != 0) {
      lastActivity = System.nanoTime();
    }
  }

  @Override
  public void expire(long now) {
    parking.wakeExpired(now);
    Deadlines d = deadlines;
    Limit passed = d == null ? null : d.passed(openedAt, lastActivity, now);
    if (d != null && passed != null && isOpen()) {
      counters.hit(passed, remote, d.value(passed));
      abort(passed.key() + " of " + d.value(passed) + " passed");
    }
  }

  // ---- poller side ----

  @Override
  public void ready(int readyOps) {
    if ((readyOps & SelectionKey.OP_WRITE) != 0) {
      sink.writable();
    }
    if ((readyOps & SelectionKey.OP_READ) != 0) {
      inbound.fill();
    }
  }

  // parking.lock held
  void interest(int op, boolean on) {
    try {
      if (on) {
        key.interestOpsOr(op);
        poller.wakeup();
      } else {
        key.interestOpsAnd(~op);
      }
    } catch (CancelledKeyException e) {
      // closed concurrently: nothing to stop, and a waiter sees closed
    }
  }

  // ---- the inbound budget, as layers over this connection use it ----

  /**
   * Charges what {@code decoder}, fed by a layer over this connection (TLS), holds for an
   * unfinished frame to the server's inbound budget; see {@link BufferSource#charge}.
   */
  public void chargeFrame(FrameDecoder decoder) throws IOException {
    parking.lock.lock();
    try {
      inbound.charge(decoder);
    } finally {
      parking.lock.unlock();
    }
  }

  /**
   * Charges {@code bytes} that a layer over this connection may hold ({@code what}: TLS's record
   * buffers) to the server's inbound budget, released when the connection closes; if the budget
   * has no room, fails and closes the connection and throws.
   */
  public void chargeLayer(int bytes, String what) throws IOException {
    parking.lock.lock();
    try {
      inbound.chargeLayer(bytes, what);
    } finally {
      parking.lock.unlock();
    }
  }

  // ---- frames and turns ----

  private Frames frames() {
    Frames f = frames;
    if (f == null) {
      frames = f = new Frames(input);
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
   * Returns the next frame of what is already buffered, without waiting: a frame; {@link
   * Inbound#NEED_INPUT} (compare by identity) if the buffer ends first, the decoder keeping the
   * partial frame; or null at end of stream. For a handler served in turns.
   *
   * @throws IOException if reading failed, the connection is closed, or the framing is broken
   */
  byte @Nullable [] pollFrame(FrameDecoder decoder) throws IOException {
    return inbound.poll(decoder);
  }

  /**
   * As {@link #pollFrame}, on the poller thread, for a handler that borrows its frames: a frame
   * that lies whole in the read buffer is a slice of it, and the buffer stays lent until {@link
   * #returnLoan()} or the next call. {@link Inbound#NEED_INPUT_SLICE} plays {@code NEED_INPUT}'s
   * part.
   */
  @Nullable ByteBuffer pollSlice(FrameDecoder decoder) throws IOException {
    return inbound.pollSlice(decoder);
  }

  /** Ends the loan of the buffer the last {@link #pollSlice} lent, if any. */
  void returnLoan() {
    inbound.returnLoan();
  }

  /**
   * Arranges for {@code resume} to run once input arrives, the stream ends, reading fails or the
   * connection closes, on the thread that sees it (the poller, or the one closing), and returns
   * true; returns false, arranging nothing, if one of those has happened already. {@code resume}
   * must not block. One at a time: a handler served in turns calls this as the last thing its
   * thread does.
   */
  boolean resumeWhenReadable(Runnable resume) {
    return inbound.resumeWhenReadable(resume);
  }

  /** Served in turns only while reads may wait without limit (no read timeout to enforce). */
  @Override
  public Resumable.@Nullable Turns serveInTurns(Handlers.Framed handler, Runnable resume) {
    return readTimeoutNanos == 0 ? new FrameTurns(this, handler, resume) : null;
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
