package dev.socketserver.engine.stream;

import dev.socketserver.engine.tls.TlsConnection;

import dev.socketserver.api.FrameDecoder;
import dev.socketserver.api.FrameTooLongException;
import dev.socketserver.api.Framing;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * {@code readLine} and {@code readFrame} for connections that hold their input in a buffer
 * ({@link ChannelConnection}, {@link TlsConnection}): they feed a decoder straight from it.
 * Confined to the reading thread, like the connection's input.
 */
public final class Frames {

  /** Feeds a connection's buffered input into a decoder. */
  @FunctionalInterface
  public interface Source {
    /**
     * Feeds {@code decoder} until it yields a frame and returns it, or returns null at end of
     * stream with the decoder holding what it got; consumes no byte past the frame.
     */
    byte @Nullable [] decode(FrameDecoder decoder) throws IOException;
  }

  private final Source source;
  // The last line framing, reused while the limit stays the same.
  private @Nullable Framing lines;
  // The decoder of the last frame read and its framing: reused for the next frame of the same
  // framing (a line-based protocol reads several lines per request). Kept only after it yielded a
  // frame, when it holds nothing; a read that failed or hit end of stream drops it, with the
  // partial frame it may hold.
  private @Nullable Framing lastFraming;
  private @Nullable FrameDecoder lastDecoder;

  public Frames(Source source) {
    this.source = source;
  }

  /** As {@link dev.socketserver.api.Connection#readLine(int)}. */
  public @Nullable String readLine(int maxBytes) throws IOException {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes < 0: " + maxBytes);
    }
    // No line can reach the framing's cap of 1 GiB in practice: a bigger limit means "any".
    int max = Math.min(maxBytes, Framing.MAX_FRAME_LIMIT);
    Framing framing = lines;
    if (framing == null || framing.maxFrame() != max) {
      lines = framing = Framing.lines(max);
    }
    FrameDecoder decoder = decoderFor(framing);
    byte[] line = source.decode(decoder);
    if (line != null) {
      keep(framing, decoder);
    } else {
      // End of stream: the unterminated rest, if any, is the last line.
      line = decoder.remainder();
      if (line.length == 0) {
        return null;
      }
      if (line.length > maxBytes) {
        throw new FrameTooLongException("line", line.length, true, maxBytes);
      }
    }
    return new String(line, StandardCharsets.UTF_8);
  }

  /** As {@link dev.socketserver.api.Connection#readFrame(Framing)}. */
  public byte @Nullable [] readFrame(Framing framing) throws IOException {
    FrameDecoder decoder = decoderFor(framing);
    byte[] frame = source.decode(decoder);
    if (frame == null) {
      decoder.finish();
    } else {
      keep(framing, decoder);
    }
    return frame;
  }

  /** The kept decoder if it is {@code framing}'s, else a new one; either way none is kept now. */
  private FrameDecoder decoderFor(Framing framing) {
    FrameDecoder d = lastDecoder;
    boolean mine = lastFraming == framing;
    lastDecoder = null;
    lastFraming = null;
    return d != null && mine ? d : framing.newDecoder();
  }

  private void keep(Framing framing, FrameDecoder decoder) {
    if (decoder.buffered() == 0) { // always, after a frame: it consumes no byte past the frame
      lastFraming = framing;
      lastDecoder = decoder;
    }
  }
}
