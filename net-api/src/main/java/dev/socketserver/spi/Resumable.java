package dev.socketserver.spi;

import dev.socketserver.api.Handlers;
import org.jspecify.annotations.Nullable;

/**
 * A request that a {@link Handlers.Framed} handler can serve in turns: between frames the request
 * waits for input with no thread, and the next turn starts on a new thread when input arrives. The
 * server core asks a request for this capability (under {@code Concurrency.virtualThreads()}); a
 * request that does not implement it, or answers null, is served on one thread for its life.
 *
 * <p>Thread-safety: {@link #serveInTurns} is called once, by the request's first thread; a
 * {@link Turns} is used by one thread at a time, each turn's thread in order.
 */
public interface Resumable {

  /**
   * Returns the turns in which {@code handler} serves this request, each next turn started by
   * {@code resume}; or null if this request cannot be served in turns (its reads have a timeout,
   * or a layer over it reads on its own).
   */
  @Nullable Turns serveInTurns(Handlers.Framed handler, Runnable resume);

  /** One request served in turns: its decoder, holding any partial frame, between turns. */
  interface Turns {
    /**
     * Answers every frame already read and flushes the replies. Returns true when the
     * conversation is over (end of stream), false when it needs more input.
     *
     * @throws Exception from the handler, the framing (a truncated last frame included) or the
     *     connection, as the handler on one thread would
     */
    boolean serveBuffered() throws Exception;

    /**
     * Serves a turn of a {@linkplain Handlers#nonBlocking non-blocking} handler on the thread
     * that found input (the poller's), without ever waiting there. Returns true if it is done
     * and suspended (as {@link #suspend()} returning true: the caller must do nothing more with
     * the request); false if the rest must go on a thread of its own, which then calls {@link
     * #serveBuffered()} (the end of the conversation, replies the socket did not take yet, a
     * draining server, or a caller that is not the poller). By default it serves nothing and
     * returns false.
     *
     * @throws Exception as {@link #serveBuffered()}; the caller then reports it on a thread of
     *     its own, not here
     */
    default boolean serveInline() throws Exception {
      return false;
    }

    /**
     * True if the calling thread may serve a turn with {@link #serveInline()}: the poller's, for
     * a {@linkplain Handlers#nonBlocking non-blocking} handler. False by default.
     */
    default boolean canServeInline() {
      return false;
    }

    /**
     * Arranges for the next turn to start when input arrives or the request closes, and returns
     * true; false if that happened already (serve it now). Once it returns true, the caller's
     * thread must do nothing more with the request: the next turn may be running already.
     */
    boolean suspend();
  }
}
