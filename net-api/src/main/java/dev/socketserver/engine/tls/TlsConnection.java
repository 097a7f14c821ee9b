package dev.socketserver.engine.tls;

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
import dev.socketserver.api.Framing;
import dev.socketserver.api.TlsInfo;
import dev.socketserver.api.TlsOptions;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLEngine;
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
 * <p>A facade over its two halves: {@link TlsReader} reads, unwraps and runs the handshake;
 * {@link TlsRecords} wraps and writes.
 *
 * <p>Thread-safety: one reader and one writer may work at once, as on any connection. The
 * reader's state is guarded by {@link TlsReader}'s lock; wrapping and writing records by
 * {@link TlsRecords}' lock, which the reader also takes to answer a handshake message (lock order:
 * read, then write). {@link #raw()}{@code .abort()} may be called from any thread.
 */
public final class TlsConnection extends ForwardingConnection {
  private static final Logger log = Logs.get(TlsConnection.class);
  private static final int MAX_RECORD_PLAINTEXT = 16384;
  private static final int MAX_FREE = 1024;
  // Record buffers, by size (the engines' packet and application buffer sizes, the larger).
  private static final ConcurrentHashMap<Integer, BufferPool> POOLS = new ConcurrentHashMap<>();

  private final ChannelConnection raw;
  private final TlsReader reader;
  private final TlsRecords records;
  private final SourceInput input;
  private final Outbound output;
  private final Frames frames;
  private volatile boolean closed;

  /** Why every read and write fails, once a renegotiation was refused; null before. */
  @Nullable String refusal() {
    return reader.refusal();
  }

  private TlsConnection(
      ChannelConnection raw,
      SSLEngine engine,
      TlsOptions options,
      int writeBufferSize,
      Counters counters) {
    super(raw);
    this.raw = raw;
    SSLSession session = engine.getSession();
    int size = Math.max(session.getPacketBufferSize(), session.getApplicationBufferSize());
    BufferPool pool = POOLS.computeIfAbsent(size, s -> new BufferPool(s, MAX_FREE));
    this.records = new TlsRecords(this, engine, raw.output(), pool);
    this.reader = new TlsReader(this, engine, records, pool, options.handshakeTimeout(), counters);
    this.input = new SourceInput(reader);
    this.frames = new Frames(input);
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
    reader.handshake();
  }

  @Override
  public Optional<TlsInfo> tls() {
    return Optional.ofNullable(reader.tls());
  }

  /**
   * True if this connection holds a record buffer now. Read without the lock (a reader waiting for
   * input holds it): for tests and diagnostics, racy by nature.
   */
  boolean holdsRecordBuffers() {
    return reader.holdsRecordBuffers();
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
      if (raw.isOpen() && !raw.readFailed() && reader.refusal() == null) {
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
