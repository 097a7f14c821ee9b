package dev.socketserver.api;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/** Length-prefixed frames: {@link Framing#lengthFieldBuilder}. Immutable. */
final class LengthFieldFraming extends Framing {
  private static final int MAX_OFFSET = 65535;
  /** Field values above this give a body over any limit whatever the adjustment. */
  private static final long HUGE = 1L << 40;

  private final int fieldLength;
  private final int offset;
  private final ByteOrder order;
  private final int adjustment;
  private final int strip;
  private final boolean includesHeader;
  private final int header;

  LengthFieldFraming(
      int fieldLength,
      int maxFrame,
      int offset,
      ByteOrder order,
      int adjustment,
      int strip,
      boolean includesHeader) {
    super(maxFrame);
    if (fieldLength < 1 || (fieldLength > 4 && fieldLength != 8)) {
      throw new IllegalArgumentException("fieldLength must be 1, 2, 3, 4 or 8: " + fieldLength);
    }
    if (offset < 0 || offset > MAX_OFFSET) {
      throw new IllegalArgumentException("offset must be 0.." + MAX_OFFSET + ": " + offset);
    }
    this.header = offset + fieldLength;
    if (strip > header) {
      throw new IllegalArgumentException(
          "strip must be 0.." + header + " (the header's length): " + strip);
    }
    this.fieldLength = fieldLength;
    this.offset = offset;
    this.order = order;
    this.adjustment = adjustment;
    this.strip = strip == -1 ? header : strip;
    this.includesHeader = includesHeader;
  }

  @Override
  public FrameDecoder newDecoder() {
    return new Decoder();
  }

  /** Returns the body's length given by the header, or throws. */
  private int bodyLength(byte[] h) throws FrameException {
    long value = 0;
    for (int i = 0; i < fieldLength; i++) {
      int b = h[offset + (order == ByteOrder.BIG_ENDIAN ? i : fieldLength - 1 - i)] & 0xff;
      value = value << 8 | b;
    }
    if (value < 0) {
      throw new CorruptFrameException(
          "length field " + Long.toUnsignedString(value) + " is negative as a signed 8-byte value");
    }
    long body = value > HUGE ? value : value + adjustment - (includesHeader ? header : 0);
    if (body < 0) {
      throw new CorruptFrameException("length field " + value + " gives a body of " + body
          + " bytes" + (includesHeader ? ", shorter than the " + header + "-byte header" : "")
          + " in " + this);
    }
    if (body > maxFrame()) {
      throw new FrameTooLongException("frame", body, true, maxFrame());
    }
    return (int) body;
  }

  @Override
  void writeTo(OutputStream out, byte[] frame) throws IOException {
    byte[] wire = header(frame.length);
    // Header bytes the frame holds (strip < header) must be what the decoder would read back.
    int from = Math.max(strip, offset);
    if (!Arrays.equals(wire, from, header, frame, from - strip, header - strip)) {
      throw new IllegalArgumentException("frame's length field does not say "
          + value(frame.length - (header - strip)) + ", its length, in " + this);
    }
    out.write(wire, 0, strip);
    out.write(frame);
  }

  @Override
  void writeTo(OutputStream out, ByteBuffer frame) throws IOException {
    if (strip < header) { // the frame holds header bytes to check: the array path does
      super.writeTo(out, frame);
      return;
    }
    out.write(header(frame.remaining()));
    writeBody(out, frame);
  }

  /** The length field's value for a body of {@code body} bytes. */
  private long value(int body) {
    return (long) body - adjustment + (includesHeader ? header : 0);
  }

  /**
   * Returns the header of a frame of {@code frameLength} bytes (header bytes it holds included),
   * or throws {@link IllegalArgumentException} if this framing cannot encode it.
   */
  private byte[] header(int frameLength) {
    int kept = header - strip; // header bytes the frame itself holds
    int body = frameLength - kept;
    if (body < 0) {
      throw new IllegalArgumentException("frame of " + frameLength
          + " bytes is shorter than the " + kept + " header bytes it must hold in " + this);
    }
    checkEncodable(body);
    if (strip > 0 && offset > 0) {
      throw new IllegalArgumentException("cannot encode with " + this + ": its decoder strips "
          + Math.min(strip, offset) + " header bytes before the length field, which an encoder"
          + " cannot recreate; use strip(0) and write the header in the frame");
    }
    long value = value(body);
    if (value < 0 || (fieldLength < 8 && value >>> (8 * fieldLength) != 0)) {
      throw new IllegalArgumentException("frame of " + body + " bytes needs length " + value
          + ", which does not fit the " + fieldLength + "-byte field of " + this);
    }
    byte[] wire = new byte[header];
    for (int i = 0; i < fieldLength; i++) {
      int shift = 8 * (order == ByteOrder.BIG_ENDIAN ? fieldLength - 1 - i : i);
      wire[offset + i] = (byte) (value >>> shift);
    }
    return wire;
  }

  @Override
  int maxBuffered() {
    return maxFrame() + header;
  }

  @Override
  String noun() {
    return "frame";
  }

  @Override
  public String toString() {
    return "lengthField(" + fieldLength + " bytes " + (order == ByteOrder.BIG_ENDIAN ? "BE" : "LE")
        + ", max " + maxFrame() + ", offset " + offset + ", adjustment " + adjustment + ", strip "
        + strip + (includesHeader ? ", length includes header)" : ")");
  }

  /**
   * The decoder: reads the header into {@link #head}, then gathers the frame as its bytes arrive
   * ({@link PartialFrame}): a header announcing a large frame reserves nothing.
   */
  final class Decoder extends FrameDecoderBase {
    private final byte[] head = new byte[header];
    private int headLen;
    private @Nullable PartialFrame frame;

    Decoder() {
      super(LengthFieldFraming.this);
    }

    @Override
    byte @Nullable [] next(ByteBuffer chunk) throws FrameException {
      PartialFrame f = frame;
      int kept = strip; // head[strip..kept) is the frame's start: the header bytes it keeps
      if (f == null) {
        headLen = fill(chunk, head, headLen);
        if (headLen < header) {
          return null;
        }
        int length = header - strip + bodyLength(head);
        byte[] whole = PartialFrame.whole(head, strip, header, chunk, length);
        if (whole != null) {
          headLen = 0;
          return whole;
        }
        frame = f = new PartialFrame(length);
        kept = header;
      }
      if (!f.fill(head, strip, kept, chunk)) {
        return null;
      }
      frame = null;
      headLen = 0;
      return f.frame();
    }

    @Override
    @Nullable ByteBuffer nextSlice(ByteBuffer chunk) throws FrameException {
      int start = chunk.position();
      if (frame == null && headLen == 0 && chunk.remaining() >= header) {
        // Peeks at the header (headLen stays 0: if the frame is not all here, next reads it again).
        chunk.get(start, head, 0, header);
        int length = header - strip + bodyLength(head);
        if (chunk.remaining() - strip >= length) {
          return slice(chunk, start + strip, length, start + strip + length);
        }
      }
      return wrap(next(chunk));
    }

    @Override
    public int buffered() {
      PartialFrame f = frame;
      return f == null ? headLen : strip + f.filled();
    }

    @Override
    int retained() {
      PartialFrame f = frame;
      return head.length + (f == null ? 0 : f.retained());
    }

    @Override
    byte[] takeRemainder() {
      PartialFrame f = frame;
      byte[] rest = Arrays.copyOf(head, buffered());
      if (f != null && f.filled() > header - strip) {
        byte[] body = new byte[f.filled()];
        f.copyTo(body, 0);
        System.arraycopy(body, header - strip, rest, header, f.filled() - (header - strip));
      }
      frame = null;
      headLen = 0;
      return rest;
    }
  }
}
