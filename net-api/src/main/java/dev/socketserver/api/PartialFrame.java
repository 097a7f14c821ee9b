package dev.socketserver.api;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The bytes of one frame whose length is known (from a header, or fixed) gathered as they arrive,
 * so that memory follows the bytes received, never the bytes announced: a peer that announces a
 * 1 MiB frame and sends one byte makes this hold one small segment, not 1 MiB.
 *
 * <p>Bytes go into segments sized by what is available when one is needed, at least
 * {@link #MIN_SEGMENT} bytes and never past the frame's end; so the arrays held never exceed the
 * bytes fed plus {@link #MIN_SEGMENT}. A frame whose bytes are all at hand when it starts (the
 * common case: a small frame in one read) gets one exact array and no copy; a frame gathered
 * from several segments is copied once into its exact array when its last byte arrives.
 *
 * <p>Not thread-safe: owned by one decoder.
 */
final class PartialFrame {
  /** The smallest segment: bounds the slack a trickling peer makes the decoder hold. */
  static final int MIN_SEGMENT = 1024;

  private final int length;
  private final List<byte[]> full = new ArrayList<>(0);
  private byte @Nullable [] current;
  private int currentFilled;
  private int filled;
  private int retained;

  /**
   * Returns the frame of {@code length} bytes made of {@code prefix[from..to)} then bytes of
   * {@code chunk}, if they are all at hand: its exact array, filled, and {@code chunk} advanced
   * past it; else null, taking nothing. The common case (a frame in one read) with no
   * {@code PartialFrame} to allocate: the array is what {@link #fill} would make of it.
   */
  static byte @Nullable [] whole(byte[] prefix, int from, int to, ByteBuffer chunk, int length) {
    int kept = to - from;
    if (kept + chunk.remaining() < length) {
      return null;
    }
    byte[] frame = new byte[length];
    System.arraycopy(prefix, from, frame, 0, kept);
    chunk.get(frame, kept, length - kept);
    return frame;
  }

  /** Starts a frame of {@code length} bytes, of which none has arrived. */
  PartialFrame(int length) {
    this.length = length;
  }

  /**
   * Copies {@code prefix[from..to)} (bytes of this frame already taken, such as kept header bytes)
   * then bytes of {@code chunk}, up to the frame's end; returns true once the frame is complete.
   */
  boolean fill(byte[] prefix, int from, int to, ByteBuffer chunk) {
    int p = from;
    while (filled < length && (p < to || chunk.hasRemaining())) {
      byte[] c = current;
      if (c == null || currentFilled == c.length) {
        c = segment(to - p + chunk.remaining());
      }
      int n = Math.min(c.length - currentFilled, to - p);
      if (n > 0) {
        System.arraycopy(prefix, p, c, currentFilled, n);
        p += n;
      } else {
        n = Math.min(c.length - currentFilled, chunk.remaining());
        chunk.get(c, currentFilled, n);
      }
      currentFilled += n;
      filled += n;
    }
    return filled == length;
  }

  /** Starts a new segment for {@code available} bytes at hand; the old one, if any, is full. */
  private byte[] segment(int available) {
    byte[] c = current;
    if (c != null) {
      full.add(c);
    }
    int size = Math.min(length - filled, Math.max(available, MIN_SEGMENT));
    current = c = new byte[size];
    currentFilled = 0;
    retained += size;
    return c;
  }

  /** Returns the complete frame: an array the caller owns. Only once {@link #fill} returned true. */
  byte[] frame() {
    byte[] c = current;
    if (full.isEmpty() && c != null && c.length == length) {
      return c;
    }
    byte[] frame = new byte[length];
    copyTo(frame, 0);
    return frame;
  }

  /** Copies the bytes that arrived, in order, to {@code dst} from {@code at}. */
  void copyTo(byte[] dst, int at) {
    for (byte[] s : full) {
      System.arraycopy(s, 0, dst, at, s.length);
      at += s.length;
    }
    byte[] c = current;
    if (c != null) {
      System.arraycopy(c, 0, dst, at, currentFilled);
    }
  }

  /** Returns how many bytes of the frame arrived. */
  int filled() {
    return filled;
  }

  /** Returns the bytes of the arrays this holds: at most {@link #filled()} plus {@link #MIN_SEGMENT}. */
  int retained() {
    return retained;
  }
}
