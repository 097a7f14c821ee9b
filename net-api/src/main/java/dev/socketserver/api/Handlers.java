package dev.socketserver.api;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Handlers for message-oriented protocols, so that a server is one line:
 *
 * {@snippet :
 * RequestHandler<Connection> echo = Handlers.lines(8192, line -> line);
 * RequestHandler<Connection> lengthEcho = Handlers.framed(Framing.lengthField(4, 1 << 20), f -> f);
 * }
 *
 * <p>The handlers read frames until end of stream and write each reply with the same framing.
 * Replies are buffered, not flushed one by one: the connection flushes before it waits for the
 * next request, so a pipelined batch of requests gets its replies in one write. A
 * {@link FrameException} (oversize, corrupt, truncated) leaves the handler, so the server closes
 * the connection and logs it once.
 *
 * <p>Idle connections cost no thread: under {@link Concurrency#virtualThreads()}, on a plain TCP
 * or Unix stream connection (no TLS, no PROXY header) with no read timeout, these handlers give
 * their thread back whenever every frame read so far is answered, and a new virtual thread takes
 * up the connection when the next bytes arrive: a connection waiting for its next request holds
 * no thread and no parked stack. The handler still runs as one
 * request, from accept to end of stream: it counts once against the concurrency limit and in
 * {@code inFlight}, {@code drain} waits for it, and {@code shutdownNow} closes it. Under other
 * policies, or with a read timeout, it keeps one thread for the connection's life.
 *
 * <p>A reply that needs no waiting (no I/O, no lock held long) can skip the thread altogether:
 * {@link #nonBlocking} answers on the poller's thread that read the frame, as a Netty handler
 * runs on its event loop.
 */
public final class Handlers {
  private Handlers() {}

  /**
   * Computes the reply to one frame. Called on the connection's thread (for {@link #nonBlocking},
   * mostly the poller's); must be thread-safe unless the server's policy is sequential, as any
   * handler.
   */
  @FunctionalInterface
  public interface FrameHandler {
    /**
     * Returns the reply to {@code frame}, or {@code null} for none.
     *
     * @throws Exception anything: it ends the connection and goes to the error handler
     */
    byte @Nullable [] reply(byte[] frame) throws Exception;
  }

  /**
   * Computes the reply to one frame it borrows, for {@link #nonBlockingSlices}: the frame is a
   * view of the connection's read buffer, not an array of its own. Called as a {@link
   * FrameHandler}; must be thread-safe likewise.
   */
  @FunctionalInterface
  public interface SliceHandler {
    /**
     * Returns the reply to {@code frame}, or {@code null} for none.
     *
     * <p>{@code frame} holds exactly the frame's bytes, from position 0 to its limit, and is
     * <b>borrowed</b>: mostly a slice of the pooled buffer the poller read into, valid only until
     * this method returns. After that its memory holds other bytes, perhaps another connection's.
     * Read it, or change its bytes in place, but never keep it or pass it to another thread: copy
     * what must outlive the call.
     *
     * <p>The reply may be {@code frame} itself (an echo), a slice of it, or any buffer: its
     * remaining bytes are framed and copied into the connection's output before the next frame
     * is decoded, so a handler may reuse its reply buffer for the next call on the same thread.
     *
     * @throws Exception anything: it ends the connection and goes to the error handler
     */
    @Nullable ByteBuffer reply(ByteBuffer frame) throws Exception;
  }

  /** Computes the reply to one line; see {@link FrameHandler}. */
  @FunctionalInterface
  public interface LineHandler {
    /**
     * Returns the reply to {@code line} (without terminator), or {@code null} for none.
     *
     * @throws Exception anything: it ends the connection and goes to the error handler
     */
    @Nullable String reply(String line) throws Exception;
  }

  /**
   * Returns a handler that reads the frames of {@code framing} until end of stream and writes
   * each non-null reply of {@code handler} framed the same way.
   */
  public static RequestHandler<Connection> framed(Framing framing, FrameHandler handler) {
    return new Framed(framing, Objects.requireNonNull(handler, "handler"), null, false);
  }

  /**
   * Returns a handler like {@link #framed} whose {@code handler} runs on the readiness poller's
   * thread that read the frames, as a Netty handler runs on its event loop: no thread is woken
   * per request, which is most of what a small request costs beyond its system calls. For a
   * handler that never blocks: no I/O, no sleeping, no lock held for long, no long computation.
   * While it runs, every other connection of that poller waits; a poller held up for more than
   * 100 ms is logged (at a bounded rate) as a warning.
   *
   * <p>What could wait still runs on a thread of the request's own, as with {@link #framed}: the
   * start of the conversation (a filter, frames already there), its end (closing flushes), a failure
   * (the error handler), a draining server, and replies the socket does not take at once (a
   * client slow to read): the poller keeps those aside (at most the write buffer and one reply)
   * and the request's thread sends them first, waiting with the write timeout, then serves on
   * until the client is read up again. Where {@link #framed} keeps one thread for the
   * connection's life (policies other than {@link Concurrency#virtualThreads()}, a read timeout,
   * TLS, a PROXY header) this handler does the same, and its {@code handler} runs there.
   *
   * <p>{@code handler} is called by several pollers at once, so it must be thread-safe.
   */
  public static RequestHandler<Connection> nonBlocking(Framing framing, FrameHandler handler) {
    return new Framed(framing, Objects.requireNonNull(handler, "handler"), null, true);
  }

  /**
   * Returns a handler like {@link #nonBlocking} whose {@code handler} borrows each frame instead
   * of receiving an array of its own: where {@code nonBlocking} allocates an array per frame and
   * copies the frame into it, this hands the handler a slice of the buffer the poller read into
   * (see {@link SliceHandler} for what it may do with it) and copies the reply once, into the
   * connection's output. For large frames that saves an allocation and a copy per message; for
   * small ones it is about the same.
   *
   * <p>Where the frame is decoded elsewhere than on the poller's thread (the start or end of a
   * conversation, the cases that keep one thread per connection: see {@link #nonBlocking}) the
   * frame is a buffer over an array of its own instead; the handler cannot tell, and must treat
   * both as borrowed.
   */
  public static RequestHandler<Connection> nonBlockingSlices(Framing framing, SliceHandler handler) {
    return new Framed(framing, null, Objects.requireNonNull(handler, "handler"), true);
  }

  /**
   * The handler {@link #framed} returns: it reads the frames of its framing until end of stream
   * and writes each non-null reply framed the same way. Its parts are visible so that a transport
   * can serve it in turns (see {@code dev.socketserver.spi.Resumable}) instead of on one thread
   * for the connection's life. Immutable and thread-safe.
   */
  public static final class Framed implements RequestHandler<Connection> {
    private final Framing framing;
    // Exactly one of the two is set.
    private final @Nullable FrameHandler frames;
    private final @Nullable SliceHandler slices;
    private final boolean nonBlocking;

    private Framed(
        Framing framing,
        @Nullable FrameHandler frames,
        @Nullable SliceHandler slices,
        boolean nonBlocking) {
      this.framing = Objects.requireNonNull(framing, "framing");
      this.frames = frames;
      this.slices = slices;
      this.nonBlocking = nonBlocking;
    }

    /**
     * True if this handler came from {@link #nonBlockingSlices}: it borrows its frames, so {@link
     * #reply(Connection, ByteBuffer)} may be given a slice of a read buffer that is reused once it
     * returns.
     */
    public boolean borrowsFrames() {
      return slices != null;
    }

    /**
     * True if this handler came from {@link #nonBlocking} or {@link #nonBlockingSlices}: its frame
     * handler may run on the poller's thread.
     */
    public boolean nonBlocking() {
      return nonBlocking;
    }

    /** Returns the framing of requests and replies. */
    public Framing framing() {
      return framing;
    }

    @Override
    public void handle(Connection c) throws Exception {
      byte[] frame;
      while ((frame = c.readFrame(framing)) != null) {
        reply(c, frame);
      }
      c.output().flush();
    }

    /**
     * Computes the reply to {@code frame}, a request read from {@code c}, and writes it to
     * {@code c} (buffered), if there is one.
     *
     * @throws Exception from the frame handler, or the write's {@link java.io.IOException}
     */
    public void reply(Connection c, byte[] frame) throws Exception {
      FrameHandler f = frames;
      if (f == null) {
        reply(c, ByteBuffer.wrap(frame));
        return;
      }
      byte[] reply = f.reply(frame);
      if (reply != null) {
        c.writeFrame(framing, reply);
      }
    }

    /**
     * As {@link #reply(Connection, byte[])} for a frame that is borrowed: {@code frame}'s bytes,
     * from its position to its limit, are valid only during this call. A handler that {@linkplain
     * #borrowsFrames() borrows frames} gets the buffer itself; any other gets a copy.
     *
     * @throws Exception from the frame handler, or the write's {@link java.io.IOException}
     */
    public void reply(Connection c, ByteBuffer frame) throws Exception {
      SliceHandler s = slices;
      if (s == null) {
        byte[] copy = new byte[frame.remaining()];
        frame.get(copy);
        reply(c, copy);
        return;
      }
      // The handler sees the frame and nothing around it: a buffer it cannot widen into bytes
      // beyond the frame (its limit at its capacity).
      boolean exact = frame.position() == 0 && frame.limit() == frame.capacity();
      ByteBuffer reply = s.reply(exact ? frame : frame.slice());
      if (reply != null) {
        c.writeFrame(framing, reply);
      }
    }
  }

  /**
   * Returns a handler of UTF-8 {@linkplain Framing#lines(int) lines} of at most {@code maxBytes}
   * bytes (LF or CRLF): each non-null reply is written as a line ended by LF. Malformed UTF-8
   * becomes U+FFFD. A reply longer than {@code maxBytes} bytes or holding a LF is an
   * {@link IllegalArgumentException}; an unterminated last line is a {@link FrameException}
   * (truncated), unlike {@link Connection#readLine(int)}, which returns it.
   *
   * @throws IllegalArgumentException if {@code maxBytes} is out of
   *     0..{@link Framing#MAX_FRAME_LIMIT}
   */
  public static RequestHandler<Connection> lines(int maxBytes, LineHandler handler) {
    Objects.requireNonNull(handler, "handler");
    return framed(Framing.lines(maxBytes), frame -> {
      String reply = handler.reply(new String(frame, StandardCharsets.UTF_8));
      return reply == null ? null : reply.getBytes(StandardCharsets.UTF_8);
    });
  }
}
