package dev.socketserver.engine.stream;

import dev.socketserver.api.FrameDecoder;
import dev.socketserver.api.Handlers;
import dev.socketserver.spi.Resumable;
import java.nio.ByteBuffer;

/**
 * A {@link Handlers.Framed} handler serving one {@link ChannelConnection} in turns: each turn
 * answers the frames already read, then the connection waits for input with no thread and starts
 * the next turn when it arrives. An idle connection then holds no thread and no frozen stack.
 *
 * <p>Thread-safety: used by one thread at a time (see {@link Resumable.Turns}).
 */
final class FrameTurns implements Resumable.Turns {
  private final ChannelConnection connection;
  private final Handlers.Framed handler;
  private final FrameDecoder decoder;
  private final Runnable resume;

  FrameTurns(ChannelConnection connection, Handlers.Framed handler, Runnable resume) {
    this.connection = connection;
    this.handler = handler;
    this.decoder = handler.framing().newDecoder();
    this.resume = resume;
  }

  @Override
  public boolean serveBuffered() throws Exception {
    while (true) {
      byte[] frame = connection.pollFrame(decoder);
      if (frame == null) {
        decoder.finish();
        connection.output().flush();
        return true;
      }
      if (frame == Inbound.NEED_INPUT) {
        connection.output().flush();
        if (connection.draining() && decoder.buffered() == 0) {
          // Draining, between frames: wait on this thread for a next frame to begin within the
          // drain's quiet time, else the conversation ends here, after complete replies.
          if (connection.awaitAtBoundary()) {
            continue;
          }
          return true;
        }
        return false;
      }
      handler.reply(connection, frame);
    }
  }

  /**
   * A turn on the poller thread, for a {@linkplain Handlers#nonBlocking non-blocking} handler:
   * answers the frames buffered, flushes what the socket takes and waits for input again. Whatever
   * could wait it leaves to a thread: the end of the conversation (closing flushes and lingers),
   * a draining server (waits at a boundary), replies the socket did not take (kept aside by the
   * sink, sent first by that thread), and any failure.
   */
  @Override
  public boolean serveInline() throws Exception {
    if (!canServeInline()) {
      return false;
    }
    try {
      while (!connection.draining()) {
        int next = handler.borrowsFrames() ? answerSlice() : answerFrame();
        if (next == ENDED) {
          return false;
        }
        if (next == NEED_INPUT) {
          connection.output().flush();
          if (connection.spilled() || connection.draining()) {
            return false;
          }
          if (suspend()) {
            return true;
          }
          continue; // the stream ended or failed meanwhile, or the connection closed
        }
        if (connection.spilled()) {
          return false;
        }
      }
      return false;
    } finally {
      connection.returnLoan();
    }
  }

  private static final int ANSWERED = 0;
  private static final int NEED_INPUT = 1;
  private static final int ENDED = 2;

  /** Answers the next frame buffered, as an array: ANSWERED, or NEED_INPUT or ENDED (null). */
  private int answerFrame() throws Exception {
    byte[] frame = connection.pollFrame(decoder);
    if (frame == null) {
      return ENDED;
    }
    if (frame == Inbound.NEED_INPUT) {
      return NEED_INPUT;
    }
    handler.reply(connection, frame);
    return ANSWERED;
  }

  /**
   * As {@link #answerFrame}, lending the handler a slice of the read buffer (the poller thread
   * only: see {@link Inbound#pollSlice}); the reply is copied out before the next poll returns
   * the loan.
   */
  private int answerSlice() throws Exception {
    ByteBuffer frame = connection.pollSlice(decoder);
    if (frame == null) {
      return ENDED;
    }
    if (frame == Inbound.NEED_INPUT_SLICE) {
      return NEED_INPUT;
    }
    handler.reply(connection, frame);
    return ANSWERED;
  }

  /** Only a non-blocking handler, on the poller thread (not a thread closing the connection). */
  @Override
  public boolean canServeInline() {
    return handler.nonBlocking() && connection.onPollerThread();
  }

  @Override
  public boolean suspend() {
    return connection.resumeWhenReadable(resume);
  }
}
