package dev.socketserver.api;

import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/** What every decoder shares: the broken state after a {@link FrameException}. */
abstract sealed class FrameDecoderBase implements FrameDecoder
    permits DelimiterFraming.Decoder,
        LengthFieldFraming.Decoder,
        FixedLengthFraming.Decoder,
        ChunkFraming.Decoder {
  private final Framing framing;
  private boolean broken;

  FrameDecoderBase(Framing framing) {
    this.framing = framing;
  }

  @Override
  public final byte @Nullable [] decode(ByteBuffer chunk) throws FrameException {
    checkUsable();
    try {
      return next(chunk);
    } catch (FrameException e) {
      broken = true;
      throw e;
    }
  }

  @Override
  public final @Nullable ByteBuffer decodeSlice(ByteBuffer chunk) throws FrameException {
    checkUsable();
    try {
      return nextSlice(chunk);
    } catch (FrameException e) {
      broken = true;
      throw e;
    }
  }

  @Override
  public final void finish() throws FrameException {
    checkUsable();
    int n = buffered();
    if (n > 0) {
      broken = true;
      throw new FrameException(
          "truncated " + framing.noun() + ": the stream ended after " + n + " bytes of it");
    }
  }

  @Override
  public final byte[] remainder() {
    checkUsable();
    return takeRemainder();
  }

  /** {@link #decode(ByteBuffer)} on a usable decoder. */
  abstract byte @Nullable [] next(ByteBuffer chunk) throws FrameException;

  /** {@link #decodeSlice(ByteBuffer)} on a usable decoder. */
  abstract @Nullable ByteBuffer nextSlice(ByteBuffer chunk) throws FrameException;

  /** {@code chunk[from, from + length)} as a slice, and {@code chunk}'s position moved to {@code next}. */
  static ByteBuffer slice(ByteBuffer chunk, int from, int length, int next) {
    ByteBuffer frame = chunk.slice(from, length);
    chunk.position(next);
    return frame;
  }

  /** A frame {@link #next} returned (a new array), as a buffer; null stays null. */
  static @Nullable ByteBuffer wrap(byte @Nullable [] frame) {
    return frame == null ? null : ByteBuffer.wrap(frame);
  }

  /**
   * Returns the bytes of the arrays this decoder holds for the unfinished frame, spare capacity
   * included: what it costs in memory, where {@link #buffered()} is what it received.
   */
  abstract int retained();

  /** {@link #remainder()} on a usable decoder. */
  abstract byte[] takeRemainder();

  /** Copies what {@code chunk} has, up to {@code dst}'s end, to {@code dst[filled..]}; returns the new fill. */
  static int fill(ByteBuffer chunk, byte[] dst, int filled) {
    int n = Math.min(dst.length - filled, chunk.remaining());
    chunk.get(dst, filled, n);
    return filled + n;
  }

  private void checkUsable() {
    if (broken) {
      throw new IllegalStateException(
          "decoder for " + framing + " failed earlier: the stream cannot be trusted any more");
    }
  }
}
