package dev.socketserver.api;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
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
    checkLength(frame.length);
    out.write(frame);
  }

  @Override
  void writeTo(OutputStream out, ByteBuffer frame) throws IOException {
    checkLength(frame.remaining());
    writeBody(out, frame);
  }

  private void checkLength(int length) {
    if (length != maxFrame()) {
      throw new IllegalArgumentException("frame of " + length + " bytes does not fit " + this);
    }
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

  /** The decoder: gathers each frame as its bytes arrive ({@link PartialFrame}). */
  final class Decoder extends FrameDecoderBase {
    private static final byte[] NO_PREFIX = {};
    private @Nullable PartialFrame frame;

    Decoder() {
      super(FixedLengthFraming.this);
    }

    @Override
    byte @Nullable [] next(ByteBuffer chunk) throws FrameException {
      if (!chunk.hasRemaining()) {
        return null;
      }
      PartialFrame f = frame;
      if (f == null) {
        byte[] whole = PartialFrame.whole(NO_PREFIX, 0, 0, chunk, maxFrame());
        if (whole != null) {
          return whole;
        }
        frame = f = new PartialFrame(maxFrame());
      }
      if (!f.fill(NO_PREFIX, 0, 0, chunk)) {
        return null;
      }
      frame = null;
      return f.frame();
    }

    @Override
    @Nullable ByteBuffer nextSlice(ByteBuffer chunk) throws FrameException {
      int length = maxFrame();
      int start = chunk.position();
      if (frame == null && chunk.remaining() >= length) {
        return slice(chunk, start, length, start + length);
      }
      return wrap(next(chunk));
    }

    @Override
    public int buffered() {
      PartialFrame f = frame;
      return f == null ? 0 : f.filled();
    }

    @Override
    int retained() {
      PartialFrame f = frame;
      return f == null ? 0 : f.retained();
    }

    @Override
    byte[] takeRemainder() {
      byte[] rest = new byte[buffered()];
      PartialFrame f = frame;
      if (f != null) {
        f.copyTo(rest, 0);
      }
      frame = null;
      return rest;
    }
  }
}
