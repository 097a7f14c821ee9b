package dev.socketserver.engine.tls;

import dev.socketserver.engine.core.ChannelTimeouts;
import dev.socketserver.engine.stream.ChannelConnection;
import dev.socketserver.engine.stream.ForwardingConnection;
import dev.socketserver.engine.stream.Frames;
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
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * A TLS {@link Connection} over a plain {@link ChannelConnection}: an {@link SSLEngine} that
 * reads records from the plain connection's {@code input()} and writes them to its
 * {@code output()}, so buffering, timeouts, back-pressure and counters stay the plain
 * connection's (its counters see bytes on the wire).
 *
 * <p>The handshake runs in {@link #handshake()}, on the thread that calls it (a server's
 * request thread, never the accept loop), within the handshake deadline. Reading unwraps into a
 * plaintext buffer that {@code readLine} and {@code readFrame} decode from directly. Writing
 * buffers plaintext up to the write buffer size (at most one record, 16 KiB) and wraps it on
 * flush, when full, and before this thread blocks to read.
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
 * {@link #writeLock}, which the reader also takes to answer a handshake message (lock order:
 * read, then write). {@link #raw()}{@code .abort()} may be called from any thread.
 */
public final class TlsConnection extends ForwardingConnection {
  private static final Logger log = Logs.get(TlsConnection.class);
  private static final int MAX_RECORD_PLAINTEXT = 16384;
  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
  private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|.*:.*");
  private static final byte HANDSHAKE_RECORD = 22; // TLS record content type

  private final ChannelConnection raw;
  private final SSLEngine engine;
  private final InputStream rawIn;
  private final OutputStream rawOut;
  private final Duration handshakeTimeout;
  private final Counters counters;
  private final Input input = new Input();
  private final Output output;
  private final Frames frames = new Frames(this::decode);

  private final ReentrantLock readLock = new ReentrantLock();
  // Guarded by readLock. netIn is in write mode (bytes at [0, position)); appIn in read mode.
  private ByteBuffer netIn;
  private ByteBuffer appIn;
  private boolean inboundDone;
  private long handshakeDeadline; // nanoTime while handshaking, else 0

  private final ReentrantLock writeLock = new ReentrantLock();
  // Guarded by writeLock.
  private ByteBuffer netOut;

  private volatile @Nullable TlsInfo info;
  private volatile boolean closed;
  // Why every read and write fails once a renegotiation was refused; null before.
  private volatile @Nullable String refusal;

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
    this.netIn = ByteBuffer.allocate(session.getPacketBufferSize());
    this.appIn = ByteBuffer.allocate(session.getApplicationBufferSize()).flip();
    this.netOut = ByteBuffer.allocate(session.getPacketBufferSize());
    this.output = new Output(Math.min(writeBufferSize, MAX_RECORD_PLAINTEXT));
  }

  /**
   * Returns the server side of a TLS connection over {@code raw}, counting refused
   * renegotiations in {@code counters}; call {@link #handshake()} next. Its record buffers (about
   * 50 KB) are charged to the server's inbound budget for the connection's life, before any byte
   * of the handshake is read: a flood of stalled handshakes is bounded like any other input.
   *
   * @throws IOException if the inbound budget has no room for the buffers (the connection is
   *     closed)
   */
  public static TlsConnection server(
      ChannelConnection raw, TlsOptions options, int writeBufferSize, Counters counters)
      throws IOException {
    SSLEngine engine = options.context().createSSLEngine();
    SSLSession fresh = engine.getSession();
    raw.chargeLayer(2 * fresh.getPacketBufferSize() + fresh.getApplicationBufferSize());
    engine.setUseClientMode(false);
    SSLParameters params = engine.getSSLParameters();
    switch (options.clientAuth()) {
      case NEED -> params.setNeedClientAuth(true);
      case WANT -> params.setWantClientAuth(true);
      case NONE -> {}
    }
    return new TlsConnection(
        raw, configure(engine, params, options), options, writeBufferSize, counters);
  }

  /**
   * Returns the client side of a TLS connection over {@code raw} to {@code host} (sent as SNI
   * unless it is an IP address, and checked against the server's certificate); call
   * {@link #handshake()} next.
   */
  public static TlsConnection client(
      ChannelConnection raw, TlsOptions options, String host, int writeBufferSize) {
    int port = raw.remoteAddress() instanceof InetSocketAddress a ? a.getPort() : -1;
    SSLEngine engine = options.context().createSSLEngine(host, port);
    engine.setUseClientMode(true);
    SSLParameters params = engine.getSSLParameters();
    params.setEndpointIdentificationAlgorithm("HTTPS");
    if (!IP_LITERAL.matcher(host).matches()) {
      params.setServerNames(List.of(new SNIHostName(host)));
    }
    return new TlsConnection(
        raw, configure(engine, params, options), options, writeBufferSize, Counters.UNUSED);
  }

  private static SSLEngine configure(SSLEngine engine, SSLParameters params, TlsOptions options) {
    if (!options.applicationProtocols().isEmpty()) {
      params.setApplicationProtocols(options.applicationProtocols().toArray(String[]::new));
    }
    engine.setSSLParameters(params);
    return engine;
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
    Duration writeTimeout = raw.writeTimeout();
    readLock.lock();
    try {
      handshakeDeadline = System.nanoTime() + ChannelTimeouts.nanos(handshakeTimeout);
      raw.writeTimeout(handshakeTimeout);
      engine.beginHandshake();
      HandshakeStatus hs = engine.getHandshakeStatus();
      while (hs != HandshakeStatus.FINISHED && hs != HandshakeStatus.NOT_HANDSHAKING) {
        hs = switch (hs) {
          case NEED_TASK -> runTasks();
          case NEED_WRAP -> wrapHandshake();
          default -> {
            SSLEngineResult r = unwrap();
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
      info = describe(engine);
    } catch (SSLException e) {
      throw withAlertSent(e); // the failure may come from a delegated task, thrown by a wrap
    } finally {
      handshakeDeadline = 0;
      raw.writeTimeout(writeTimeout);
      readLock.unlock();
    }
  }

  private static TlsInfo describe(SSLEngine engine) {
    SSLSession session = engine.getSession();
    List<Certificate> peer;
    try {
      peer = List.of(session.getPeerCertificates());
    } catch (SSLPeerUnverifiedException e) {
      peer = List.of();
    }
    String sni = null;
    if (session instanceof ExtendedSSLSession extended) {
      List<SNIServerName> names =
          engine.getUseClientMode()
              ? Objects.requireNonNullElse(engine.getSSLParameters().getServerNames(), List.of())
              : extended.getRequestedServerNames();
      for (SNIServerName name : names) {
        if (name instanceof SNIHostName host) {
          sni = host.getAsciiName();
        }
      }
    }
    String alpn = engine.getApplicationProtocol();
    return new TlsInfo(
        session.getProtocol(),
        session.getCipherSuite(),
        peer,
        sni,
        alpn == null || alpn.isEmpty() ? null : alpn);
  }

  @Override
  public Optional<TlsInfo> tls() {
    return Optional.ofNullable(info);
  }

  // ---- reading; every method here runs with readLock held ----

  /**
   * Unwraps one record into {@link #appIn}, reading more cipher text as needed; returns the
   * result (OK or CLOSED), or null if the plain connection ended first.
   */
  private @Nullable SSLEngineResult unwrap() throws IOException {
    while (true) {
      String refused = refusal;
      if (refused != null) {
        throw new SSLException(refused);
      }
      if (renegotiationStarts()) {
        throw refuseRenegotiation();
      }
      netIn.flip();
      appIn.compact();
      SSLEngineResult r;
      try {
        r = engine.unwrap(netIn, appIn);
      } catch (SSLException e) {
        throw withAlertSent(e);
      } finally {
        netIn.compact();
        appIn.flip();
      }
      switch (r.getStatus()) {
        case BUFFER_UNDERFLOW -> {
          if (!netIn.hasRemaining()) {
            netIn = grow(netIn, engine.getSession().getPacketBufferSize());
          }
          if (readCipher() < 0) {
            return null;
          }
        }
        case BUFFER_OVERFLOW ->
            appIn = grow(appIn.compact(), engine.getSession().getApplicationBufferSize()).flip();
        case OK, CLOSED -> {
          if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
            runTasks();
          }
          if (handshakeDeadline == 0 && engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
            wrapHandshake(); // a post-handshake message to answer, for example a key update
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
    return established != null
        && !established.protocol().equals("TLSv1.3")
        && netIn.position() > 0
        && netIn.get(0) == HANDSHAKE_RECORD;
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
    writeLock.lock();
    try {
      engine.closeOutbound();
      wrap(EMPTY); // close_notify, under the keys the peer still uses
      raw.shutdownOutput(); // a peer waiting for a ServerHello sees the end at once
    } catch (IOException e) {
      refused.addSuppressed(e); // the peer may have left already
    } finally {
      writeLock.unlock();
    }
    return refused;
  }

  /**
   * Sends the alert the engine queued when it failed with {@code failure} (for example
   * protocol_version for an old protocol offered, bad_record_mac), as far as the peer still
   * takes it, and returns {@code failure}.
   */
  private SSLException withAlertSent(SSLException failure) {
    writeLock.lock();
    try {
      if (!engine.isOutboundDone()) {
        wrap(EMPTY);
        rawOut.flush();
      }
    } catch (IOException | RuntimeException e) {
      failure.addSuppressed(e);
    } finally {
      writeLock.unlock();
    }
    return failure;
  }

  /** Reads cipher text into {@link #netIn}; returns the count, or -1 at end of stream. */
  private int readCipher() throws IOException {
    if (output.pendingFor(Thread.currentThread())) {
      output.flush(); // the peer may be waiting for our reply before it sends more
    }
    if (handshakeDeadline != 0) {
      long left = handshakeDeadline - System.nanoTime();
      if (left <= 0) {
        throw new SocketTimeoutException(
            "TLS handshake with " + raw.remoteAddress() + " not done within " + handshakeTimeout);
      }
      Duration readTimeout = raw.readTimeout();
      raw.readTimeout(Duration.ofNanos(left));
      try {
        return readCipherNow();
      } catch (SocketTimeoutException e) {
        SocketTimeoutException better = new SocketTimeoutException(
            "TLS handshake with " + raw.remoteAddress() + " not done within " + handshakeTimeout);
        better.initCause(e);
        throw better;
      } finally {
        raw.readTimeout(readTimeout);
      }
    }
    return readCipherNow();
  }

  private int readCipherNow() throws IOException {
    int n = rawIn.read(netIn.array(), netIn.arrayOffset() + netIn.position(), netIn.remaining());
    if (n > 0) {
      netIn.position(netIn.position() + n);
    }
    return n;
  }

  /** Makes {@link #appIn} hold data; returns false at end of stream. */
  private boolean awaitPlaintext() throws IOException {
    while (!appIn.hasRemaining()) {
      if (inboundDone) {
        return false;
      }
      SSLEngineResult r = unwrap();
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
    return true;
  }

  private byte @Nullable [] decode(FrameDecoder decoder) throws IOException {
    readLock.lock();
    try {
      while (awaitPlaintext()) {
        byte[] frame = decoder.decode(appIn);
        raw.chargeFrame(decoder); // a partial frame counts against the server's inbound budget
        if (frame != null) {
          return frame;
        }
      }
      return null;
    } finally {
      readLock.unlock();
    }
  }

  private HandshakeStatus runTasks() {
    for (Runnable task; (task = engine.getDelegatedTask()) != null; ) {
      task.run();
    }
    return engine.getHandshakeStatus();
  }

  // ---- writing ----

  private HandshakeStatus wrapHandshake() throws IOException {
    writeLock.lock();
    try {
      HandshakeStatus hs = wrap(EMPTY);
      rawOut.flush();
      return hs;
    } finally {
      writeLock.unlock();
    }
  }

  /** Wraps all of {@code src} into records written to the plain output; writeLock held. */
  private HandshakeStatus wrap(ByteBuffer src) throws IOException {
    while (true) {
      netOut.clear();
      SSLEngineResult r = engine.wrap(src, netOut);
      switch (r.getStatus()) {
        case BUFFER_OVERFLOW -> {
          netOut = grow(netOut, engine.getSession().getPacketBufferSize());
          continue;
        }
        case BUFFER_UNDERFLOW -> throw new IllegalStateException("wrap underflow: " + r);
        case CLOSED -> {
          if (src.hasRemaining()) {
            String refused = refusal;
            throw refused != null
                ? new SSLException(refused)
                : new SocketException("TLS output to " + raw.remoteAddress() + " is closed");
          }
        }
        case OK -> {}
      }
      netOut.flip();
      rawOut.write(netOut.array(), netOut.arrayOffset(), netOut.limit());
      HandshakeStatus hs = r.getHandshakeStatus();
      if (hs == HandshakeStatus.NEED_TASK) {
        hs = runTasks();
      }
      if (!src.hasRemaining() || r.getStatus() == SSLEngineResult.Status.CLOSED) {
        return hs;
      }
    }
  }

  private static ByteBuffer grow(ByteBuffer b, int atLeast) {
    ByteBuffer bigger = ByteBuffer.allocate(Math.max(atLeast, b.capacity() * 2));
    b.flip();
    return bigger.put(b);
  }

  // ---- Connection ----

  @Override
  public InputStream input() {
    return input;
  }

  @Override
  public OutputStream output() {
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
    closeOutbound();
    raw.shutdownOutput();
  }

  private void closeOutbound() throws IOException {
    writeLock.lock();
    try {
      if (!engine.isOutboundDone()) {
        engine.closeOutbound();
        wrap(EMPTY); // close_notify
        rawOut.flush();
      }
    } finally {
      writeLock.unlock();
    }
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
          closeOutbound();
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

  private final class Input extends InputStream {
    @Override
    public int read() throws IOException {
      readLock.lock();
      try {
        return awaitPlaintext() ? appIn.get() & 0xff : -1;
      } finally {
        readLock.unlock();
      }
    }

    @Override
    public int read(byte[] dst, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, dst.length);
      if (len == 0) {
        return 0;
      }
      readLock.lock();
      try {
        if (!awaitPlaintext()) {
          return -1;
        }
        int n = Math.min(len, appIn.remaining());
        appIn.get(dst, off, n);
        return n;
      } finally {
        readLock.unlock();
      }
    }

    @Override
    public int available() {
      readLock.lock();
      try {
        return appIn.remaining();
      } finally {
        readLock.unlock();
      }
    }

    @Override
    public void close() throws IOException {
      TlsConnection.this.close();
    }
  }

  /** Plaintext output: buffered up to one record, wrapped when full and on flush. */
  private final class Output extends OutputStream {
    // Confined to the writing thread.
    private final ByteBuffer buffer;
    private @Nullable Thread writer;

    Output(int size) {
      this.buffer = ByteBuffer.allocate(size);
    }

    boolean pendingFor(Thread thread) {
      return buffer.position() > 0 && writer == thread;
    }

    @Override
    public void write(int b) throws IOException {
      if (!buffer.hasRemaining()) {
        flushBuffer(false);
      }
      if (buffer.hasRemaining()) {
        writer = Thread.currentThread();
        buffer.put((byte) b);
      } else {
        write(new byte[] {(byte) b}, 0, 1);
      }
    }

    @Override
    public void write(byte[] src, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, src.length);
      writer = Thread.currentThread();
      if (len <= buffer.remaining()) {
        buffer.put(src, off, len);
        return;
      }
      flushBuffer(false);
      if (len < buffer.capacity()) {
        buffer.put(src, off, len);
        return;
      }
      writeLock.lock();
      try {
        wrap(ByteBuffer.wrap(src, off, len));
      } finally {
        writeLock.unlock();
      }
    }

    @Override
    public void flush() throws IOException {
      flushBuffer(true);
    }

    private void flushBuffer(boolean toSocket) throws IOException {
      writeLock.lock();
      try {
        if (buffer.position() > 0) {
          buffer.flip();
          try {
            wrap(buffer);
          } finally {
            buffer.clear();
          }
        }
        if (toSocket) {
          rawOut.flush();
        }
      } finally {
        writeLock.unlock();
      }
    }

    @Override
    public void close() throws IOException {
      TlsConnection.this.close();
    }
  }
}
