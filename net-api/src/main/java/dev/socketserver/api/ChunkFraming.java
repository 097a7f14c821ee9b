package dev.socketserver.api;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/** A byte stream cut where its reads cut it: {@link Framing#chunks}. Immutable. */
final class ChunkFraming extends Framing {

  ChunkFraming(int maxBytes) {
    super(maxBytes);
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes < 1: " + maxBytes);
    }
  }

  @Override
  public FrameDecoder newDecoder() {
    return new Decoder();
  }

  @Override
  void writeTo(OutputStream out, byte[] frame) throws IOException {
    out.write(frame);
  }

  @Override
  void writeTo(OutputStream out, ByteBuffer frame) throws IOException {
    writeBody(out, frame);
  }

  @Override
  int maxBuffered() {
    return 0;
  }

  @Override
  String noun() {
    return "chunk";
  }

  @Override
  public String toString() {
    return "chunks(" + maxFrame() + ")";
  }

  /** The decoder: holds nothing; each call takes up to the maximum of what the chunk has. */
  final class Decoder extends FrameDecoderBase {
    private static final byte[] NOTHING = {};

    Decoder() {
      super(ChunkFraming.this);
    }

    @Override
    byte @Nullable [] next(ByteBuffer chunk) {
      int n = Math.min(chunk.remaining(), maxFrame());
      if (n == 0) {
        return null;
      }
      byte[] frame = new byte[n];
      chunk.get(frame);
      return frame;
    }

    @Override
    @Nullable ByteBuffer nextSlice(ByteBuffer chunk) {
      int n = Math.min(chunk.remaining(), maxFrame());
      if (n == 0) {
        return null;
      }
      int start = chunk.position();
      return slice(chunk, start, n, start + n);
    }

    @Override
    public int buffered() {
      return 0;
    }

    @Override
    int retained() {
      return 0;
    }

    @Override
    byte[] takeRemainder() {
      return NOTHING;
    }
  }
}
