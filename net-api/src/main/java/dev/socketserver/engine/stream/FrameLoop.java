package dev.socketserver.engine.stream;

import dev.socketserver.engine.core.ServerCore;

import dev.socketserver.api.Connection;
import dev.socketserver.api.FrameDecoder;
import dev.socketserver.api.Framing;
import dev.socketserver.api.Handlers;
import dev.socketserver.api.RequestHandler;
import java.util.Objects;

/**
 * The handler {@link Handlers#framed} returns: reads the frames of one framing until end of
 * stream and writes each reply framed the same way.
 *
 * <p>Served as any handler it loops on its connection's thread ({@link #handle}). But where
 * {@link ServerCore} can (a plain stream connection under {@code virtualThreads()} with no read
 * timeout) it serves the connection in {@linkplain Turns turns} instead: each turn answers the
 * frames already read, flushes, and ends its thread, and the next turn starts on a new virtual
 * thread when more input arrives. An idle connection then holds no thread and no frozen stack.
 *
 * <p>Thread-safe (immutable); a {@link Turns} is used by one thread at a time.
 */
public final class FrameLoop implements RequestHandler<Connection> {
  private final Framing framing;
  private final Handlers.FrameHandler handler;

  /** Replies to the frames of {@code framing} with {@code handler}. */
  public FrameLoop(Framing framing, Handlers.FrameHandler handler) {
    this.framing = Objects.requireNonNull(framing, "framing");
    this.handler = Objects.requireNonNull(handler, "handler");
  }

  @Override
  public void handle(Connection c) throws Exception {
    byte[] frame;
    while ((frame = c.readFrame(framing)) != null) {
      reply(c, frame);
    }
    c.output().flush();
  }

  private void reply(Connection c, byte[] frame) throws Exception {
    byte[] reply = handler.reply(frame);
    if (reply != null) {
      c.writeFrame(framing, reply);
    }
  }

  /**
   * Starts serving {@code c} in turns; {@code resume} starts the next turn (see {@link
   * Turns#suspend}).
   */
  public Turns turns(ChannelConnection c, Runnable resume) {
    return new Turns(c, framing.newDecoder(), resume);
  }

  /** The state of one connection served in turns: its decoder, holding any partial frame. */
  public final class Turns {
    private final ChannelConnection connection;
    private final FrameDecoder decoder;
    private final Runnable resume;

    private Turns(ChannelConnection connection, FrameDecoder decoder, Runnable resume) {
      this.connection = connection;
      this.decoder = decoder;
      this.resume = resume;
    }

    /**
     * Answers every frame already read and flushes the replies. Returns true when the
     * conversation is over (end of stream), false when it needs more input.
     *
     * @throws Exception from the handler, the framing (a truncated last frame included) or the
     *     connection, as {@link #handle} would
     */
    public boolean serveBuffered() throws Exception {
      while (true) {
        byte[] frame = connection.pollFrame(decoder);
        if (frame == null) {
          decoder.finish();
          connection.output().flush();
          return true;
        }
        if (frame == ChannelConnection.NEED_INPUT) {
          connection.output().flush();
          return false;
        }
        reply(connection, frame);
      }
    }

    /**
     * Arranges for the next turn to start when input arrives or the connection closes, and returns
     * true; false if that happened already (serve it now). As {@link
     * ChannelConnection#resumeWhenReadable}: the caller's thread must do nothing more once true.
     */
    public boolean suspend() {
      return connection.resumeWhenReadable(resume);
    }
  }
}
