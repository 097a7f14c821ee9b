package dev.socketserver.engine.tls;

import dev.socketserver.engine.core.ChannelTimeouts;
import dev.socketserver.engine.stream.BufferPool;
import dev.socketserver.engine.stream.BufferSource;
import dev.socketserver.engine.stream.ChannelConnection;
import dev.socketserver.engine.stream.SourceInput;
import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.engine.telemetry.Limit;
import dev.socketserver.engine.telemetry.Logs;

import dev.socketserver.api.FrameDecoder;
import dev.socketserver.api.TlsInfo;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * The inbound half of a {@link TlsConnection} (as {@link TlsRecords} is its outbound half): reads
 * cipher text from the plain connection's input, unwraps it into plaintext that the connection's
 * {@link SourceInput} reads through this {@link BufferSource}, refuses renegotiation, and runs the
 * handshake, which the reader drives (it answers with the writer's lock: lock order read, then
 * write). Record buffers are pooled and held only while they hold bytes; their growth is charged
 * to the server's inbound budget.
 *
 * <p>Thread-safety: the reading state is guarded by this reader's lock ({@link #lock()}); every
 * method that reads or unwraps runs with it held. {@link #refusal()}, {@link #tls()} and the
 * handshake deadline are volatile, for writers and other threads.
 */
final class TlsReader implements BufferSource {
  private static final Logger log = Logs.get(TlsConnection.class);
  private static final byte HANDSHAKE_RECORD = 22; // TLS record content type

  private final TlsConnection connection;
  private final ChannelConnection raw;
  private final SSLEngine engine;
  private final SourceInput rawIn;
  private final TlsRecords records;
  private final BufferPool pool;
  private final Duration handshakeTimeout;
  private final Counters counters;

  private final ReentrantLock readLock = new ReentrantLock();
  // Guarded by readLock; each null while it holds nothing (pooled). netIn in write mode (bytes at
  // [0, position)); appIn in read mode.
  private @Nullable ByteBuffer netIn;
  private @Nullable ByteBuffer appIn;
  private boolean inboundDone;
  // nanoTime while handshaking, else 0; written under readLock, read by writers too.
  private volatile long handshakeDeadline;

  private volatile @Nullable TlsInfo info;
  // Why every read and write fails once a renegotiation was refused; null before.
  private volatile @Nullable String refusal;

  TlsReader(
      TlsConnection connection,
      SSLEngine engine,
      TlsRecords records,
      BufferPool pool,
      Duration handshakeTimeout,
      Counters counters) {
    this.connection = connection;
    this.raw = connection.raw();
    this.engine = engine;
    this.rawIn = raw.input();
    this.records = records;
    this.pool = pool;
    this.handshakeTimeout = handshakeTimeout;
    this.counters = counters;
  }

  /** Why every read and write fails, once a renegotiation was refused; null before. */
  @Nullable String refusal() {
    return refusal;
  }

  /** What the handshake established; null before it completed. */
  @Nullable TlsInfo tls() {
    return info;
  }

  /**
   * Runs the handshake on the calling thread, within the handshake deadline.
   *
   * @throws SSLException if the handshake fails (bad certificate, no common protocol)
   * @throws SocketTimeoutException if it does not complete in time
   * @throws EOFException if the peer leaves during the handshake
   */
  void handshake() throws IOException {
    readLock.lock();
    try {
      handshakeDeadline = System.nanoTime() + ChannelTimeouts.nanos(handshakeTimeout);
      engine.beginHandshake();
      HandshakeStatus hs = engine.getHandshakeStatus();
      while (hs != HandshakeStatus.FINISHED && hs != HandshakeStatus.NOT_HANDSHAKING) {
        hs = switch (hs) {
          case NEED_TASK -> TlsEngines.runTasks(engine);
          case NEED_WRAP -> records.sendQueued(timeout());
          default -> {
            SSLEngineResult r = unwrap(false);
            if (r == null) {
              throw new EOFException("peer " + raw.remoteAddress() + " left during the TLS handshake");
            }
            if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
              throw new SSLException("peer " + raw.remoteAddress() + " closed TLS during the handshake");
            }
            yield r.getHandshakeStatus();
          }
        };
      }
      info = TlsEngines.describe(engine);
    } catch (SSLException e) {
      throw withAlertSent(e); // the failure may come from a delegated task, thrown by a wrap
    } finally {
      handshakeDeadline = 0;
      giveBackIdle();
      readLock.unlock();
    }
  }

  /**
   * The timeout of one read or write of the plain connection: what is left of the handshake
   * deadline while handshaking, else the connection's own.
   *
   * @throws SocketTimeoutException if the handshake deadline passed
   */
  private long timeout() throws SocketTimeoutException {
    long deadline = handshakeDeadline;
    if (deadline == 0) {
      return BufferSource.CONNECTION_TIMEOUT;
    }
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw handshakeTimedOut();
    }
    return left;
  }

  private SocketTimeoutException handshakeTimedOut() {
    return new SocketTimeoutException(
        "TLS handshake with " + raw.remoteAddress() + " not done within " + handshakeTimeout);
  }


  // ---- reading; every method below runs with readLock held ----

  /**
   * Unwraps one record into {@link #appIn}, reading more cipher text as needed; returns the
   * result (OK or CLOSED), or null if the plain connection ended first (or, {@code atBoundary},
   * drains with no record begun).
   */
  private @Nullable SSLEngineResult unwrap(boolean atBoundary) throws IOException {
    while (true) {
      String refused = refusal;
      if (refused != null) {
        throw new SSLException(refused);
      }
      if (netIn == null && readCipher(atBoundary) < 0) {
        return null; // waited for cipher text holding no buffer: a record buffer only once it comes
      }
      if (renegotiationStarts()) {
        throw refuseRenegotiation();
      }
      ByteBuffer src = Objects.requireNonNull(netIn).flip();
      ByteBuffer dst = appIn == null ? (appIn = pool.take().flip()) : appIn;
      dst.compact();
      SSLEngineResult r;
      try {
        r = engine.unwrap(src, dst);
      } catch (SSLException e) {
        throw withAlertSent(e);
      } finally {
        src.compact();
        dst.flip();
      }
      switch (r.getStatus()) {
        case BUFFER_UNDERFLOW -> {
          if (!src.hasRemaining()) { // compacted: full of one partial record
            netIn = growCharged(src, engine.getSession().getPacketBufferSize());
          }
          if (readCipher(false) < 0) {
            return null;
          }
        }
        case BUFFER_OVERFLOW ->
            appIn = growCharged(dst.compact(), engine.getSession().getApplicationBufferSize()).flip();
        case OK, CLOSED -> {
          if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
            TlsEngines.runTasks(engine);
          }
          if (handshakeDeadline == 0 && engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
            records.sendQueued(BufferSource.CONNECTION_TIMEOUT); // a post-handshake message to answer, for example a key update
          }
          ByteBuffer in = netIn;
          if (in != null && in.position() == 0) {
            netIn = null; // no partial record: the buffer goes back until the next one arrives
            giveBack(in);
          }
          return r;
        }
      }
    }
  }

  /**
   * True if the next record in {@link #netIn} is a handshake record after a TLS 1.2 (or older)
   * handshake completed: the peer starts a renegotiation. (In TLS 1.3 every record after the
   * handshake has the outer type application_data.)
   */
  private boolean renegotiationStarts() {
    TlsInfo established = info;
    ByteBuffer in = netIn;
    return established != null
        && !established.protocol().equals("TLSv1.3")
        && in != null
        && in.position() > 0
        && in.get(0) == HANDSHAKE_RECORD;
  }


  /**
   * Refuses the renegotiation the peer starts: counts it, sends close_notify, half-closes the
   * plain connection and returns the exception to throw (every later read and write fails
   * alike).
   */
  private SSLException refuseRenegotiation() {
    SocketAddress peer = raw.remoteAddress();
    String protocol = Objects.requireNonNull(info).protocol();
    String who = engine.getUseClientMode()
        ? "the server " + peer + " asked for"
        : "the client " + peer + " started";
    String message = "TLS renegotiation refused: " + who + " a renegotiation after the "
        + protocol + " handshake; renegotiation is not supported, so the connection is closed";
    refusal = message;
    SSLException refused = new SSLException(message);
    counters.hit(Limit.TLS_RENEGOTIATION, peer, protocol);
    try {
      // close_notify, under the keys the peer still uses
      records.closeOutbound(BufferSource.CONNECTION_TIMEOUT, false);
      raw.shutdownOutput(); // a peer waiting for a ServerHello sees the end at once
    } catch (IOException e) {
      refused.addSuppressed(e); // the peer may have left already
    }
    return refused;
  }

  /**
   * Sends the alert the engine queued when it failed with {@code failure} (for example
   * protocol_version for an old protocol offered, bad_record_mac), as far as the peer still
   * takes it, and returns {@code failure}.
   */
  private SSLException withAlertSent(SSLException failure) {
    try {
      records.sendAlert(timeout());
    } catch (IOException | RuntimeException e) {
      failure.addSuppressed(e);
    }
    return failure;
  }

  /**
   * Reads cipher text into {@link #netIn}; returns the count, or -1 at end of stream. Waits for
   * the plain connection to have input before it takes a buffer: a connection waiting for its next
   * record holds none. (The plain connection flushes this layer's output before it waits.)
   */
  private int readCipher(boolean atBoundary) throws IOException {
    long timeout = timeout();
    SourceInput in = timeout == BufferSource.CONNECTION_TIMEOUT ? rawIn : rawIn.within(timeout);
    try {
      ByteBuffer b = netIn;
      if (b == null) {
        if (!in.awaitReadable(atBoundary)) {
          return -1;
        }
        netIn = b = pool.take();
      }
      return in.read(b);
    } catch (SocketTimeoutException e) {
      if (timeout == BufferSource.CONNECTION_TIMEOUT) {
        throw e;
      }
      SocketTimeoutException better = handshakeTimedOut();
      better.initCause(e);
      throw better;
    }
  }

  /**
   * Makes {@link #appIn} hold data and returns it, or returns null at end of stream; waits at most
   * {@code timeoutNanos} per read of the plain connection ({@link BufferSource#CONNECTION_TIMEOUT}:
   * its read timeout).
   */
  private @Nullable ByteBuffer awaitPlaintext(boolean atBoundary) throws IOException {
    while (true) {
      ByteBuffer b = appIn;
      if (b != null && b.hasRemaining()) {
        return b;
      }
      if (inboundDone) {
        giveBackIdle();
        return null;
      }
      SSLEngineResult r = unwrap(atBoundary);
      if (r == null) {
        inboundDone = true;
        try {
          engine.closeInbound();
        } catch (SSLException e) {
          // The peer closed the socket without close_notify; end of stream all the same.
          log.debug("{} ended without TLS close_notify", raw.remoteAddress());
        }
      } else if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
        inboundDone = true;
      }
    }
  }

  private void giveBack(ByteBuffer b) {
    TlsEngines.giveBack(pool, b);
  }

  /** As {@link TlsEngines#grow}, for an inbound buffer: the growth is charged too, for the connection's life. */
  private ByteBuffer growCharged(ByteBuffer b, int atLeast) throws IOException {
    ByteBuffer bigger = TlsEngines.grow(b, atLeast);
    raw.chargeLayer(bigger.capacity() - b.capacity(), "a grown TLS record buffer");
    return bigger;
  }

  /**
   * True if this connection holds a record buffer now. Read without the lock (a reader waiting for
   * input holds it): for tests and diagnostics, racy by nature.
   */
  boolean holdsRecordBuffers() {
    return netIn != null || appIn != null;
  }

  /** Gives back the inbound buffers that hold nothing; readLock held. */
  private void giveBackIdle() {
    ByteBuffer in = netIn;
    if (in != null && in.position() == 0) {
      netIn = null;
      giveBack(in);
    }
    ByteBuffer app = appIn;
    if (app != null && !app.hasRemaining()) {
      appIn = null;
      giveBack(app);
    }
  }

  // ---- the plaintext, as the one input implementation reads it ----

  @Override
  public void lock() {
    readLock.lock();
  }

  @Override
  public void unlock() {
    readLock.unlock();
  }

  @Override
  public @Nullable ByteBuffer await(long timeoutNanos, boolean atBoundary) throws IOException {
    return awaitPlaintext(atBoundary);
  }

  @Override
  public int buffered() {
    ByteBuffer b = appIn;
    return b == null ? 0 : b.remaining();
  }

  @Override
  public void consumed(ByteBuffer b) {
    if (!b.hasRemaining() && b == appIn) {
      appIn = null;
      giveBack(b);
    }
  }

  @Override
  public void charge(FrameDecoder decoder) throws IOException {
    raw.chargeFrame(decoder); // a partial frame counts against the server's inbound budget
  }

  @Override
  public void close() throws IOException {
    connection.close();
  }
}
