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
