package dev.socketserver.api;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/** Frames of one size: {@link Framing#fixedLength}. Immutable. */
final class FixedLengthFraming extends Framing {

  FixedLengthFraming(int length) {
    super(length);
    if (length < 1) {
      throw new IllegalArgumentException("frameLength < 1: " + length);
    }
  }

  @Override
  public FrameDecoder newDecoder() {
    return new Decoder();
  }

  @Override
  void writeTo(OutputStream out, byte[] frame) throws IOException {
    if (frame.length != maxFrame()) {
      throw new IllegalArgumentException(
          "frame of " + frame.length + " bytes does not fit " + this);
    }
    out.write(frame);
  }

  @Override
  int maxBuffered() {
    return maxFrame();
  }

  @Override
  String noun() {
    return "frame";
  }

  @Override
  public String toString() {
    return "fixedLength(" + maxFrame() + ")";
  }

  /** The decoder: fills a frame-sized array, allocated when the frame's first byte arrives. */
  final class Decoder extends FrameDecoderBase {
    private byte @Nullable [] frame;
    private int filled;

    Decoder() {
      super(FixedLengthFraming.this);
    }

    @Override
    byte @Nullable [] next(ByteBuffer chunk) throws FrameException {
      if (!chunk.hasRemaining()) {
        return null;
      }
      byte[] f = frame;
      if (f == null) {
        frame = f = new byte[maxFrame()];
      }
      filled = fill(chunk, f, filled);
      if (filled < f.length) {
        return null;
      }
      frame = null;
      filled = 0;
      return f;
    }

    @Override
    public int buffered() {
      return filled;
    }

    @Override
    byte[] takeRemainder() {
      byte[] f = frame;
      byte[] rest = f == null ? new byte[0] : Arrays.copyOf(f, filled);
      frame = null;
      filled = 0;
      return rest;
    }
  }
}
