package dev.socketserver.engine.stream;

import dev.socketserver.api.FrameDecoder;
import dev.socketserver.api.Handlers;
import dev.socketserver.spi.Resumable;

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

  @Override
  public boolean suspend() {
    return connection.resumeWhenReadable(resume);
  }
}
