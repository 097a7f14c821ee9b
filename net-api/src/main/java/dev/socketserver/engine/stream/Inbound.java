package dev.socketserver.engine.stream;

import dev.socketserver.api.FrameDecoder;
import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.engine.telemetry.Limit;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The inbound side of a {@link ChannelConnection}: the poller thread reads on readiness into a
 * buffer borrowed from the pool and signals the reader, which consumes from that buffer and gives
 * it back once it is empty; so an idle connection holds no buffer, and a round trip costs one
 * read and a share of one epoll_wait, with no EAGAIN read and no re-arming. If the buffer fills
 * because the handler is slow, the poller stops reading until half of it is consumed:
 * back-pressure to the peer through TCP flow control.
 *
 * <p>Also here: the server's inbound budget as this connection uses it (its read buffer, the
 * partial frame its decoder holds, what a layer over it holds), and the resumption of a handler
 * served in turns (see {@link #resumeWhenReadable}).
 *
 * <p>Thread-safety: guarded by the connection's {@link Parking#lock}, shared by the poller
 * thread and the reader.
 */
final class Inbound implements BufferSource {
  private final ChannelConnection connection;
  private final SocketChannel channel;
  private final Parking parking;
  private final BufferPool pool;
  private final Counters counters;
  // Guarded by parking.lock. Invariant: buffer is null or in read mode with bytes remaining.
  private @Nullable ByteBuffer buffer;
  // The buffer a frame handler on the poller thread borrows a slice of (see pollSlice), or null.
  // Written under the lock by the poller thread only, so that thread reads it without the lock:
  // never given back to the pool (by consumed or a close on another thread) until returnLoan,
  // since the pool would hand its memory to another connection while the handler still reads it.
  // The poller thread is the one that refills and compacts buffers, and it is busy in the handler
  // while a loan is out, so a lent buffer is never refilled either.
  private @Nullable ByteBuffer lent;
  private boolean eof;
  // The peer ended the connection: end of stream, or a read failed (a reset).
  private boolean peerEnded;
  // Where the client's own bytes start (after a PROXY header): see markRequestStart.
  private long requestStart;
  private boolean paused;
  private @Nullable IOException failure;
  // Bytes of an unfinished frame charged to the server's inbound budget (see charge).
  private long frameCharge;
  // Bytes a layer over this connection (TLS) may hold, charged likewise for the connection's life.
  private long layerCharge;
  // A handler served in turns waits with no thread: this starts its next turn. Taken (and cleared)
  // by whoever makes input available or closes the connection.
  private @Nullable Runnable resumer;
  // The output of the outermost layer (TLS's plaintext output over this connection's own): what a
  // reader flushes before it waits. Set before the connection is handed to its handler.
  private @Nullable Outbound outermost;
  long bytesIn; // written by the poller thread; read racily at close
  // The server drains: a read waiting at a message boundary ends if no message begins within
  // DRAIN_QUIET_NANOS.
  private volatile boolean draining;
  static final long DRAIN_QUIET_NANOS = Duration.ofMillis(100).toNanos();

  Inbound(ChannelConnection connection, SocketChannel channel, Parking parking, BufferPool pool, Counters counters) {
    this.connection = connection;
    this.channel = channel;
    this.parking = parking;
    this.pool = pool;
    this.counters = counters;
  }

  void outermost(Outbound output) {
    this.outermost = output;
  }

  @Override
  public void lock() {
    parking.lock.lock();
  }

  @Override
  public void unlock() {
    parking.lock.unlock();
  }

  // ---- poller side ----

  /** Reads what the channel has; on the poller thread, when it is readable. */
  void fill() {
    Runnable resume = null;
    boolean overBudget = false;
    lock();
    try {
      if (connection.closedLocked() || eof || failure != null) {
        connection.interest(SelectionKey.OP_READ, false);
        return;
      }
      ByteBuffer b = buffer;
      if (b == null) {
        b = pool.takeCharged();
        if (b == null) {
          overBudget = true;
          failure = overBudget("a read buffer of " + pool.bufferSize() + " bytes");
          connection.interest(SelectionKey.OP_READ, false);
          return;
        }
      } else {
        b.compact();
      }
      int n;
      try {
        n = channel.read(b);
      } catch (IOException e) {
        failure = e;
        peerEnded = true;
        n = 0;
      }
      b.flip();
      if (n > 0) {
        counters.read(n);
        bytesIn += n;
        connection.active();
      } else if (n < 0) {
        eof = true;
        peerEnded = true;
      }
      if (b.hasRemaining()) {
        buffer = b;
      } else {
        buffer = null;
        pool.giveCharged(b);
      }
      if (eof || failure != null) {
        connection.interest(SelectionKey.OP_READ, false);
      } else if (buffer != null && buffer.remaining() == buffer.capacity()) {
        paused = true;
        connection.interest(SelectionKey.OP_READ, false);
      }
      if (n != 0 || eof || failure != null) {
        parking.signal(true);
        resume = takeResumer();
      }
    } finally {
      unlock();
      if (overBudget) {
        connection.abort(budgetExhausted());
      }
    }
    if (resume != null) {
      resume.run();
    }
  }

  private String budgetExhausted() {
    return Limit.INBOUND_BUDGET.key() + " of " + pool.budget() + " bytes exhausted";
  }

  /**
   * Counts a hit of the server's inbound budget and returns the failure this connection's reads
   * report: the connection asked for {@code what} and the budget had no room for it.
   */
  // lock held
  private IOException overBudget(String what) {
    counters.hit(Limit.INBOUND_BUDGET, connection.remoteAddress(), pool.budget() + " bytes");
    return new IOException("Inbound memory budget of " + pool.budget() + " bytes exhausted:"
        + " no room for " + what + " from " + connection.remoteAddress() + " (all connections'"
        + " unread input and partial frames count; raise StreamServerBuilder.inboundBudget or"
        + " lower the framing's maximum); closing the connection");
  }

  /** Fails this connection's reads for want of {@code what}, closes it and returns the failure. */
  // lock held on entry and return; released while the connection closes
  private IOException failOverBudget(String what) {
    IOException e = overBudget(what);
    failure = e;
    unlock();
    try {
      connection.abort(budgetExhausted());
    } finally {
      lock();
    }
    return e;
  }

  /**
   * Charges what {@code decoder} now holds for an unfinished frame to the server's inbound budget
   * (or releases what it no longer holds); if the budget has no room, fails the connection's reads
   * and throws. A peer that sends a large frame slowly is charged for the bytes it sent so far.
   */
  @Override
  public void charge(FrameDecoder decoder) throws IOException {
    int holds = decoder.buffered();
    if (holds == frameCharge) {
      return;
    }
    if (holds < frameCharge) {
      pool.release(frameCharge - holds);
    } else if (!pool.reserveGrowth(holds - frameCharge)) {
      throw failOverBudget("a partial frame of " + holds + " bytes");
    }
    frameCharge = holds;
  }

  /** Charges {@code bytes} a layer takes ({@code what}) to the budget; lock held. */
  void chargeLayer(int bytes, String what) throws IOException {
    if (connection.closedLocked()) {
      throw connection.closedException();
    }
    if (!pool.reserve(bytes)) {
      throw failOverBudget(what + " of " + bytes + " bytes");
    }
    layerCharge += bytes;
  }

  /** At close, lock held: gives back the buffer and the charges; returns the resumer to run. */
  @Nullable Runnable closeLocked() {
    ByteBuffer b = buffer;
    buffer = null;
    if (b != null && b != lent) {
      pool.giveCharged(b);
    }
    pool.release(frameCharge + layerCharge);
    frameCharge = 0;
    layerCharge = 0;
    parking.signal(true);
    return takeResumer();
  }

  /**
   * The server drains: wakes a reader waiting at a message boundary, and starts a handler served
   * in turns that waits for input, so that both end there. Takes the lock itself.
   */
  void startDraining() {
    Runnable resume;
    lock();
    try {
      draining = true;
      parking.signal(true);
      resume = takeResumer();
    } finally {
      unlock();
    }
    if (resume != null) {
      resume.run();
    }
  }

  boolean draining() {
    return draining;
  }

  /** See {@link ChannelConnection#markRequestStart()}. Takes the lock itself. */
  void markRequestStart() {
    lock();
    try {
      requestStart = bytesIn - buffered();
    } finally {
      unlock();
    }
  }

  /** See {@link ChannelConnection#silent()}. Takes the lock itself. */
  boolean silent() {
    lock();
    try {
      return bytesIn == requestStart && peerEnded;
    } finally {
      unlock();
    }
  }

  /** True if the client sent a byte past the request start; lock held. */
  private boolean requestBegun() {
    return bytesIn > requestStart;
  }

  /**
   * Half-closes {@code channel} and reads, dropping what comes, until the peer closes too or
   * {@code linger} passes. Never throws: the connection is closing anyway.
   */
  void lingerForPeer(SocketChannel channel, Duration linger) {
    try {
      channel.shutdownOutput();
      long deadline = System.nanoTime() + linger.toNanos();
      byte[] discarded = new byte[512];
      SourceInput in = new SourceInput(this);
      while (true) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || in.within(left).read(discarded, 0, discarded.length) < 0) {
          return;
        }
      }
    } catch (IOException e) {
      // the peer reset or timed out: it is closed all the same
    }
  }

  boolean failed() {
    return failure != null;
  }

  private @Nullable Runnable takeResumer() {
    Runnable r = resumer;
    resumer = null;
    return r;
  }

  // ---- reader side; every method below runs with the lock held ----

  @Override
  public @Nullable ByteBuffer await(long timeoutNanos, boolean atBoundary) throws IOException {
    long timeout = timeoutNanos == CONNECTION_TIMEOUT ? connection.readTimeoutNanos() : timeoutNanos;
    long left = timeout;
    long quiet = DRAIN_QUIET_NANOS;
    while (true) {
      ByteBuffer b = buffer;
      if (b != null) {
        return b;
      }
      if (ended()) {
        return null;
      }
      if (flushBeforeWaiting()) {
        continue;
      }
      try {
        if (atBoundary && draining && requestBegun()) {
          // Between messages while the server drains: the next message has DRAIN_QUIET to begin,
          // else the conversation ends here. A client that keeps sending is served on; one that
          // has sent nothing yet (its first request may be on its way) is waited for as ever.
          if (quiet <= 0) {
            return null;
          }
          long slice = timeout == 0 ? quiet : Math.min(quiet, Math.max(left, 1));
          long spent = slice - parking.await(true, slice);
          quiet -= spent;
          left -= spent;
          if (timeout != 0 && left <= 0 && quiet > 0) {
            throw readTimedOut(timeout);
          }
        } else if (timeout == 0) {
          parking.await(true, 0);
        } else if (left <= 0) {
          throw readTimedOut(timeout);
        } else {
          left = parking.await(true, left);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException(
            "Interrupted while waiting to read from " + connection.remoteAddress());
      }
    }
  }

  private SocketTimeoutException readTimedOut(long timeout) {
    counters.hit(Limit.READ_TIMEOUT, connection.remoteAddress(), Duration.ofNanos(timeout));
    return new SocketTimeoutException("Read timed out after " + Duration.ofNanos(timeout)
        + " waiting for " + connection.remoteAddress());
  }

  /**
   * Waits, at a message boundary, until input arrives (true) or the conversation ends (false: end
   * of stream, or a drain with no next message begun in time). Takes the lock itself.
   */
  boolean awaitAtBoundary() throws IOException {
    lock();
    try {
      return await(CONNECTION_TIMEOUT, true) != null;
    } finally {
      unlock();
    }
  }

  /**
   * A request/response peer waits for our reply before it sends more: before the reader waits,
   * what it wrote is flushed (the outermost layer's output, then this connection's own). Returns
   * true if it flushed something (with the lock released meanwhile).
   */
  private boolean flushBeforeWaiting() throws IOException {
    Thread me = Thread.currentThread();
    Outbound top = outermost;
    Outbound own = connection.outbound();
    boolean topPending = top != null && top != own && top.pendingFor(me);
    if (!topPending && !own.pendingFor(me)) {
      return false;
    }
    unlock();
    try {
      // The top layer's flush flushes this connection's output too.
      (topPending && top != null ? top : own).flush();
    } finally {
      lock();
    }
    return true;
  }

  /**
   * With nothing buffered: true at end of stream, false if more may come; throws if reading
   * failed or the connection is closed.
   */
  private boolean ended() throws IOException {
    IOException f = failure;
    if (f != null) {
      SocketException e = new SocketException(f.getMessage());
      e.initCause(f);
      throw e;
    }
    if (eof) {
      return true;
    }
    if (connection.closedLocked()) {
      throw connection.closedException();
    }
    return false;
  }

  @Override
  public int buffered() {
    ByteBuffer b = buffer;
    return b == null ? 0 : b.remaining();
  }

  @Override
  public void consumed(ByteBuffer b) {
    if (!b.hasRemaining()) {
      buffer = null;
      if (b != lent) {
        pool.giveCharged(b);
      }
    }
    resumeReading();
  }

  // After the reader consumed, reads resume once the buffer is at most half full.
  private void resumeReading() {
    ByteBuffer left = buffer;
    if (paused && (left == null || left.remaining() <= left.capacity() / 2)) {
      paused = false;
      connection.interest(SelectionKey.OP_READ, true);
    }
  }

  /** What {@link #poll} returns when what is buffered ends before a frame does. */
  static final byte[] NEED_INPUT = new byte[0];

  /**
   * Returns the next frame of what is already buffered, without waiting: a frame; {@link
   * #NEED_INPUT} (compare by identity) if the buffer ends first, the decoder keeping the partial
   * frame; or null at end of stream. Takes the lock itself.
   */
  byte @Nullable [] poll(FrameDecoder decoder) throws IOException {
    lock();
    try {
      return next(decoder, FrameDecoder::decode, NEED_INPUT, false);
    } finally {
      unlock();
    }
  }

  /** What {@link #pollSlice} returns when what is buffered ends before a frame does. */
  static final ByteBuffer NEED_INPUT_SLICE = ByteBuffer.allocate(0);

  /**
   * As {@link #poll}, on the poller thread, for a handler that borrows its frames: the frame is a
   * slice of the read buffer when it lies whole in it ({@link FrameDecoder#decodeSlice}), and
   * that buffer is lent until {@link #returnLoan} (or the next poll). Takes the lock itself.
   */
  @Nullable ByteBuffer pollSlice(FrameDecoder decoder) throws IOException {
    lock();
    try {
      returnLoanLocked();
      return next(decoder, FrameDecoder::decodeSlice, NEED_INPUT_SLICE, true);
    } finally {
      unlock();
    }
  }

  /** One decoding call: {@link FrameDecoder#decode} or {@link FrameDecoder#decodeSlice}. */
  private interface Decoding<F> {
    @Nullable F next(FrameDecoder decoder, ByteBuffer chunk) throws IOException;
  }

  /**
   * The next frame {@code decoding} makes of what is buffered, {@code needInput} if the buffer
   * ends first, or null at end of stream; if {@code lend}, the buffer a frame came from is lent.
   */
  // lock held
  private <F> @Nullable F next(FrameDecoder decoder, Decoding<F> decoding, F needInput, boolean lend)
      throws IOException {
    while (true) {
      ByteBuffer b = buffer;
      if (b == null) {
        return ended() ? null : needInput;
      }
      F frame;
      try {
        frame = decoding.next(decoder, b);
        if (frame != null && lend) {
          lent = b;
        }
      } finally {
        consumed(b);
      }
      charge(decoder);
      if (frame != null) {
        return frame;
      }
    }
  }

  /**
   * Ends the loan of {@link #pollSlice}'s last buffer, if any; on the poller thread. Takes the
   * lock only if a buffer is lent: {@link #lent} is written by the poller thread alone (here and
   * in pollSlice), so that thread may read it without the lock.
   */
  void returnLoan() {
    if (lent == null) {
      return;
    }
    lock();
    try {
      returnLoanLocked();
    } finally {
      unlock();
    }
  }

  // lock held. A lent buffer still holding unread bytes stays the connection's; one emptied (or
  // dropped by a close) goes back to the pool now.
  private void returnLoanLocked() {
    ByteBuffer l = lent;
    if (l != null) {
      lent = null;
      if (l != buffer) {
        pool.giveCharged(l);
      }
    }
  }

  /** See {@link ChannelConnection#resumeWhenReadable}. Takes the lock itself. */
  boolean resumeWhenReadable(Runnable resume) {
    lock();
    try {
      if (buffer != null || eof || failure != null || connection.closedLocked()) {
        return false;
      }
      resumer = resume;
      return true;
    } finally {
      unlock();
    }
  }

  /**
   * Streams to {@code out} until end of stream when it is this connection's own output (an echo),
   * with no intermediate array, so a handler parked in {@code transferTo} holds no buffer at all
   * while idle (the inherited method allocates 16 KiB per call and keeps it for the connection's
   * life): the pooled buffer the poller read into is written to the channel as it is when nothing
   * is buffered ahead of it (no copy), else copied into the write buffer behind what is. Takes the
   * lock itself. Returns -1 for any other stream.
   */
  @Override
  public long transferTo(OutputStream out) throws IOException {
    Outbound output = connection.outbound();
    if (out != output) {
      return -1;
    }
    long total = 0;
    while (true) {
      ByteBuffer taken = null;
      lock();
      try {
        // Flushes what the previous turns buffered first. Every byte read has been passed on:
        // a boundary, where a draining connection ends.
        ByteBuffer b = await(CONNECTION_TIMEOUT, true);
        if (b == null) {
          return total;
        }
        if (output.isEmpty()) {
          // Nothing is buffered ahead of these bytes: write the poller's buffer itself, no copy.
          // The poller reads what comes next into a new one.
          taken = b;
          buffer = null;
          resumeReading();
        } else {
          total += output.put(b);
          consumed(b);
        }
      } finally {
        unlock();
      }
      if (taken == null) {
        output.drainIfFull();
        continue;
      }
      try {
        total += taken.remaining();
        output.writeThrough(taken);
      } finally {
        pool.giveCharged(taken);
      }
    }
  }

  @Override
  public void close() throws IOException {
    connection.close();
  }
}
