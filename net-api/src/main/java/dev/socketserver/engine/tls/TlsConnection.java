package dev.socketserver.engine.tls;

import dev.socketserver.engine.core.ChannelTimeouts;
import dev.socketserver.engine.stream.BufferPool;
import dev.socketserver.engine.stream.BufferSource;
import dev.socketserver.engine.stream.ChannelConnection;
import dev.socketserver.engine.stream.ForwardingConnection;
import dev.socketserver.engine.stream.Frames;
import dev.socketserver.engine.stream.Outbound;
import dev.socketserver.engine.stream.SourceInput;
import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.engine.telemetry.Limit;
import dev.socketserver.engine.telemetry.Logs;

import dev.socketserver.api.Connection;
import dev.socketserver.api.FrameDecoder;
import dev.socketserver.api.Framing;
import dev.socketserver.api.TlsInfo;
import dev.socketserver.api.TlsOptions;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * A TLS {@link Connection} over a plain {@link ChannelConnection}: an {@link SSLEngine} that
 * reads records from the plain connection's {@code input()} and writes them to its
 * {@code output()}, so buffering, timeouts, back-pressure and counters stay the plain
 * connection's (its counters see bytes on the wire).
 *
 * <p>A layer over the plain connection's {@link SourceInput} and {@link Outbound}: the same
 * stream and frame-decoding code reads its plaintext ({@link SourceInput} over a {@link
 * BufferSource} of unwrapped records) and buffers its writes ({@link Outbound} draining into the
 * engine), and the plain connection flushes this layer's output before its reader waits, as it
 * flushes its own. The handshake runs in {@link #handshake()}, on the thread that calls it (a
 * server's request thread, never the accept loop), within the handshake deadline, which each of
 * its reads and writes is given (the plain connection's timeouts are never changed). Writing
 * buffers plaintext up to the write buffer size (at most one record, 16 KiB) and wraps it on
 * flush, when full, and before this thread blocks to read.
 *
 * <p>Record buffers (cipher text in and out, plaintext in) are pooled and held only while they
 * hold bytes: a connection waiting for its next record holds none. What they may take at once is
 * charged to a server's inbound budget for the connection's life (see {@link #server}).
 *
 * <p>Renegotiation is refused: once a TLS 1.2 (or older) handshake has completed, a handshake
 * record from the peer (a client's renegotiating ClientHello, a server's HelloRequest) is never
 * given to the engine. The connection sends close_notify and half-closes at once, so a peer
 * waiting for the renegotiation's reply sees the end instead of hanging; every later read and
 * write fails with an {@link SSLException} "TLS renegotiation refused: ..."; a server counts
 * it ({@link Limit#TLS_RENEGOTIATION}). This is what the JDK's global
 * {@code jdk.tls.rejectClientInitiatedRenegotiation} does, per connection, and for both sides
 * (TLS 1.3 has no renegotiation; its key updates are answered). When the engine fails (an old
 * protocol offered, a bad record), the alert it queued ({@code protocol_version},
 * {@code bad_record_mac}, ...) is sent before the failure is thrown.
 *
 * <p>Thread-safety: one reader and one writer may work at once, as on any connection. The
 * reader's state is guarded by {@link #readLock}; wrapping and writing records by
 * {@link TlsRecords}' lock, which the reader also takes to answer a handshake message (lock order:
 * read, then write). {@link #raw()}{@code .abort()} may be called from any thread.
 */
public final class TlsConnection extends ForwardingConnection {
  private static final Logger log = Logs.get(TlsConnection.class);
  private static final int MAX_RECORD_PLAINTEXT = 16384;
  private static final byte HANDSHAKE_RECORD = 22; // TLS record content type
  private static final int MAX_FREE = 1024;
  // Record buffers, by size (the engines' packet and application buffer sizes, the larger).
  private static final ConcurrentHashMap<Integer, BufferPool> POOLS = new ConcurrentHashMap<>();

  private final ChannelConnection raw;
  private final SSLEngine engine;
  private final SourceInput rawIn;
  private final Outbound rawOut;
  private final Duration handshakeTimeout;
  private final Counters counters;
  private final BufferPool pool;
  private final SourceInput input;
  private final Outbound output;
  private final Frames frames;

  private final ReentrantLock readLock = new ReentrantLock();
  // Guarded by readLock; each null while it holds nothing (pooled). netIn in write mode (bytes at
  // [0, position)); appIn in read mode.
  private @Nullable ByteBuffer netIn;
  private @Nullable ByteBuffer appIn;
  private boolean inboundDone;
  // nanoTime while handshaking, else 0; written under readLock, read by writers too.
  private volatile long handshakeDeadline;

  private final TlsRecords records;

  private volatile @Nullable TlsInfo info;
  private volatile boolean closed;
  // Why every read and write fails once a renegotiation was refused; null before.
  private volatile @Nullable String refusal;

  /** Why every read and write fails, once a renegotiation was refused; null before. */
  @Nullable String refusal() {
    return refusal;
  }

  private TlsConnection(
      ChannelConnection raw,
      SSLEngine engine,
      TlsOptions options,
      int writeBufferSize,
      Counters counters) {
    super(raw);
    this.raw = raw;
    this.engine = engine;
    this.rawIn = raw.input();
    this.rawOut = raw.output();
    this.handshakeTimeout = options.handshakeTimeout();
    this.counters = counters;
    SSLSession session = engine.getSession();
    int size = Math.max(session.getPacketBufferSize(), session.getApplicationBufferSize());
    this.pool = POOLS.computeIfAbsent(size, s -> new BufferPool(s, MAX_FREE));
    this.input = new SourceInput(new Plaintext());
    this.frames = new Frames(input);
    this.records = new TlsRecords(this, engine, rawOut, pool);
    this.output = new Outbound(records, pool, Math.min(writeBufferSize, MAX_RECORD_PLAINTEXT));
    raw.flushBeforeReading(output);
  }

  /**
   * Returns the server side of a TLS connection over {@code raw}, counting refused
   * renegotiations in {@code counters}; call {@link #handshake()} next. The record buffers it may
   * hold at once (about 50 KB) are charged to the server's inbound budget for the connection's
   * life, before any byte of the handshake is read: a flood of stalled handshakes is bounded like
   * any other input, and reading never fails for want of a buffer the budget already granted. The
   * charge is accounting; the memory is the pool's, held only while a buffer holds bytes.
   *
   * @throws IOException if the inbound budget has no room for the buffers (the connection is
   *     closed)
   */
  public static TlsConnection server(
      ChannelConnection raw, TlsOptions options, int writeBufferSize, Counters counters)
      throws IOException {
    SSLEngine engine = TlsEngines.server(options);
    SSLSession fresh = engine.getSession();
    raw.chargeLayer(
        2 * fresh.getPacketBufferSize() + fresh.getApplicationBufferSize(), "the TLS record buffers");
    return new TlsConnection(raw, engine, options, writeBufferSize, counters);
  }

  /**
   * Returns the client side of a TLS connection over {@code raw} to {@code host} (sent as SNI
   * unless it is an IP address, and checked against the server's certificate); call
   * {@link #handshake()} next.
   */
  public static TlsConnection client(
      ChannelConnection raw, TlsOptions options, String host, int writeBufferSize) {
    SSLEngine engine = TlsEngines.client(options, host, raw.remoteAddress());
    return new TlsConnection(raw, engine, options, writeBufferSize, Counters.UNUSED);
  }

  /** Returns the plain connection underneath. */
  @Override
  public ChannelConnection raw() {
    return raw;
  }

  /**
   * Runs the handshake on the calling thread, within the handshake deadline.
   *
   * @throws SSLException if the handshake fails (bad certificate, no common protocol)
   * @throws SocketTimeoutException if it does not complete in time
   * @throws EOFException if the peer leaves during the handshake
   */
  public void handshake() throws IOException {
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

  @Override
  public Optional<TlsInfo> tls() {
    return Optional.ofNullable(info);
  }


  // ---- reading; every method here runs with readLock held ----

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

  /** As {@link #grow}, for an inbound buffer: the growth is charged too, for the connection's life. */
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

  /** The plaintext, as the one input implementation reads it. Guarded by readLock. */
  private final class Plaintext implements BufferSource {
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
      TlsConnection.this.close();
    }
  }

  // ---- Connection ----

  @Override
  public SourceInput input() {
    return input;
  }

  @Override
  public Outbound output() {
    return output;
  }

  @Override
  public @Nullable String readLine(int maxBytes) throws IOException {
    return frames.readLine(maxBytes);
  }

  @Override
  public byte @Nullable [] readFrame(Framing framing) throws IOException {
    return frames.readFrame(framing);
  }

  /** Flushes, sends TLS close_notify, then half-closes the plain connection. */
  @Override
  public void shutdownOutput() throws IOException {
    output.flush();
    records.closeOutbound(BufferSource.CONNECTION_TIMEOUT, true);
    raw.shutdownOutput();
  }

  @Override
  public boolean isOpen() {
    return !closed && raw.isOpen();
  }

  /** Flushes, sends TLS close_notify and closes the plain connection. A second call does nothing. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      // After a reset or a refused renegotiation nothing more can be delivered.
      if (raw.isOpen() && !raw.readFailed() && refusal == null) {
        output.flush();
        try {
          records.closeOutbound(BufferSource.CONNECTION_TIMEOUT, true);
        } catch (IOException e) {
          // close_notify is a courtesy: a peer that left already does not need it
          log.debug("Could not send close_notify to {}: {}", raw.remoteAddress(), e.toString());
        }
      }
    } finally {
      raw.close();
    }
  }

  @Override
  public String toString() {
    return "TlsConnection[" + raw.localAddress() + " <- " + raw.remoteAddress() + "]";
  }

}
