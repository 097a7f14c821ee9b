package dev.socketserver.engine.tls;

import dev.socketserver.engine.stream.BufferPool;
import dev.socketserver.engine.stream.Outbound;
import java.io.IOException;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * The outbound half of a {@link TlsConnection}: wraps plaintext into records written to the plain
 * connection's output. It is the sink of the TLS connection's {@link Outbound} and sends what the
 * engine queues itself (handshake messages, alerts, close_notify). A record buffer is taken from
 * the pool for each wrap and given back after it.
 *
 * <p>Thread-safety: every wrap runs under {@link #lock}, which the reader also takes to answer a
 * handshake message (lock order: the connection's read lock, then this one).
 */
final class TlsRecords implements Outbound.Sink {
  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  private final TlsConnection connection;
  private final SSLEngine engine;
  private final Outbound rawOut;
  private final BufferPool pool;
  private final ReentrantLock lock = new ReentrantLock();

  TlsRecords(TlsConnection connection, SSLEngine engine, Outbound rawOut, BufferPool pool) {
    this.connection = connection;
    this.engine = engine;
    this.rawOut = rawOut;
    this.pool = pool;
  }

  @Override
  public void write(ByteBuffer b, long timeoutNanos) throws IOException {
    lock.lock();
    try {
      wrap(b, timeoutNanos);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void flushed(long timeoutNanos) throws IOException {
    rawOut.flush(timeoutNanos);
  }

  @Override
  public void close() throws IOException {
    connection.close();
  }

  /**
   * Sends the alert the engine queued when it failed (protocol_version, bad_record_mac, ...),
   * unless its output is done already.
   */
  void sendAlert(long timeoutNanos) throws IOException {
    lock.lock();
    try {
      if (!engine.isOutboundDone()) {
        sendQueued(timeoutNanos);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Sends what the engine queued (a handshake flight, a post-handshake answer) and flushes;
   * returns the handshake status after.
   */
  HandshakeStatus sendQueued(long timeoutNanos) throws IOException {
    lock.lock();
    try {
      HandshakeStatus hs = wrap(EMPTY, timeoutNanos);
      rawOut.flush(timeoutNanos);
      return hs;
    } finally {
      lock.unlock();
    }
  }

  /** Closes the engine's output and sends close_notify, once; flushes if {@code flush}. */
  void closeOutbound(long timeoutNanos, boolean flush) throws IOException {
    lock.lock();
    try {
      if (!engine.isOutboundDone()) {
        engine.closeOutbound();
        wrap(EMPTY, timeoutNanos);
        if (flush) {
          rawOut.flush(timeoutNanos);
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Wraps all of {@code src} into records written to the plain output, each write waiting at most
   * {@code timeoutNanos}; lock held.
   */
  private HandshakeStatus wrap(ByteBuffer src, long timeoutNanos) throws IOException {
    ByteBuffer netOut = pool.take();
    try {
      while (true) {
        netOut.clear();
        SSLEngineResult r = engine.wrap(src, netOut);
        switch (r.getStatus()) {
          case BUFFER_OVERFLOW -> {
            netOut = TlsEngines.grow(netOut, engine.getSession().getPacketBufferSize());
            continue;
          }
          case BUFFER_UNDERFLOW -> throw new IllegalStateException("wrap underflow: " + r);
          case CLOSED -> {
            if (src.hasRemaining()) {
              String refused = connection.refusal();
              throw refused != null
                  ? new SSLException(refused)
                  : new SocketException("TLS output to " + connection.remoteAddress() + " is closed");
            }
          }
          case OK -> {}
        }
        netOut.flip();
        rawOut.write(netOut, timeoutNanos);
        HandshakeStatus hs = r.getHandshakeStatus();
        if (hs == HandshakeStatus.NEED_TASK) {
          hs = TlsEngines.runTasks(engine);
        }
        if (!src.hasRemaining() || r.getStatus() == SSLEngineResult.Status.CLOSED) {
          return hs;
        }
      }
    } finally {
      TlsEngines.giveBack(pool, netOut);
    }
  }
}
