package dev.socketserver.api;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/** Lines and delimited records: {@link Framing#lines}, {@link Framing#delimited}. Immutable. */
final class DelimiterFraming extends Framing {
  private static final byte[] EMPTY = {};
  /** A decoder keeps an accumulator up to this size between frames; a bigger one is dropped. */
  private static final int KEEP_CAPACITY = 8192;
  /** What the decoder's {@code find} returns when no delimiter came yet: a match of length 0. */
  private static final long NEED_MORE = -1;

  private final String noun;
  private final boolean keep;
  /** Whether CR and LF may appear only inside a delimiter (strict CRLF lines). */
  private final boolean strict;
  private final byte[][] delimiters;
  private final boolean[] starts = new boolean[256];
  /** The bytes {@link #scan} must look at: delimiter starts, and CR and LF when strict. */
  private final boolean[] stops = new boolean[256];
  private final int longest;

  DelimiterFraming(String noun, int maxFrame, boolean keep, boolean strict, byte[]... delimiters) {
    super(maxFrame);
    this.noun = noun;
    this.keep = keep;
    this.strict = strict;
    if (delimiters.length == 0) {
      throw new IllegalArgumentException("no delimiter");
    }
    this.delimiters = new byte[delimiters.length][];
    int max = 0;
    for (int i = 0; i < delimiters.length; i++) {
      byte[] d = delimiters[i].clone();
      if (d.length == 0) {
        throw new IllegalArgumentException("empty delimiter at index " + i);
      }
      for (int j = 0; j < i; j++) {
        byte[] e = this.delimiters[j];
        if (Arrays.equals(d, e) || occursBeforeEnd(d, e) || occursBeforeEnd(e, d)) {
          throw new IllegalArgumentException("delimiter " + show(e) + " and " + show(d)
              + " overlap: one occurs in the other before its last byte, so a match could need"
              + " bytes past the end of the record");
        }
      }
      this.delimiters[i] = d;
      starts[d[0] & 0xff] = true;
      max = Math.max(max, d.length);
    }
    this.longest = max;
    System.arraycopy(starts, 0, stops, 0, 256);
    if (strict) {
      stops['\r'] = true;
      stops['\n'] = true;
    }
  }

  /** Whether {@code d} occurs in {@code e} without its last byte. */
  private static boolean occursBeforeEnd(byte[] d, byte[] e) {
    for (int at = 0; at + d.length <= e.length - 1; at++) {
      if (Arrays.equals(d, 0, d.length, e, at, at + d.length)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public FrameDecoder newDecoder() {
    return new Decoder();
  }

  @Override
  void writeTo(OutputStream out, byte[] frame) throws IOException {
    byte[] delimiter = delimiters[0];
    int content = frame.length;
    if (keep) {
      delimiter = EMPTY;
      for (byte[] d : delimiters) {
        if (d.length > delimiter.length
            && d.length <= frame.length
            && Arrays.equals(d, 0, d.length, frame, frame.length - d.length, frame.length)) {
          delimiter = d;
        }
      }
      if (delimiter.length == 0) {
        throw new IllegalArgumentException(noun + " does not end with a delimiter of " + this);
      }
      content -= delimiter.length;
    }
    checkEncodable(content);
    // The decoder must find the first delimiter exactly at the end of the content.
    long found;
    try {
      found = scan(frame, content, ByteBuffer.wrap(delimiter), 0);
    } catch (FrameException e) {
      throw new IllegalArgumentException(noun + " cannot be represented: " + e.getMessage(), e);
    }
    if (found != match(content, delimiter.length)) {
      throw new IllegalArgumentException(noun + " of " + content + " bytes contains a delimiter"
          + " of " + this + " at index " + (int) (found >>> 32));
    }
    out.write(frame);
    if (!keep) {
      out.write(delimiter);
    }
  }

  private static long match(int position, int length) {
    return (long) position << 32 | length;
  }

  /**
   * Looks for the end of a record in the stream {@code a[0..aLen)} followed by {@code b}'s
   * remaining bytes, examining delimiter starts from position {@code from} (positions count from
   * the start of {@code a}). Returns {@code match(p, length)} for a delimiter of that length at
   * p, or {@code match(p, 0)} when more input is needed and examining must resume at p.
   *
   * @throws FrameTooLongException if no delimiter starts at positions 0..maxFrame
   * @throws CorruptFrameException if strict and a bare CR or LF is found
   */
  private long scan(byte[] a, int aLen, ByteBuffer b, int from) throws FrameException {
    int bStart = b.position() - aLen;
    int total = aLen + b.remaining();
    int last = Math.min(total, maxFrame() + 1);
    int p = from;
    for (; p < last; p++) {
      // Skip in bulk the bytes that need no look, one tight loop per source; then examine one.
      if (p < aLen) {
        int end = Math.min(aLen, last);
        while (p < end && !stops[a[p] & 0xff]) {
          p++;
        }
      }
      if (p >= aLen) {
        int q = bStart + p;
        int end = bStart + last;
        while (q < end && !stops[b.get(q) & 0xff]) {
          q++;
        }
        p = q - bStart;
      }
      if (p >= last) {
        break;
      }
      byte v = p < aLen ? a[p] : b.get(bStart + p);
      if (!starts[v & 0xff]) {
        if (strict && (v == '\n' || v == '\r')) {
          throw bare(v, p);
        }
        continue;
      }
      boolean partial = false;
      for (byte[] d : delimiters) {
        int k = 0;
        int q = p;
        while (k < d.length && q < total && (q < aLen ? a[q] : b.get(bStart + q)) == d[k]) {
          k++;
          q++;
        }
        if (k == d.length) {
          return match(p, k); // the only match here: delimiters do not overlap (constructor)
        }
        partial |= q == total;
      }
      if (partial) {
        return match(p, 0);
      }
      if (strict && (v == '\n' || v == '\r')) {
        throw bare(v, p);
      }
    }
    if (p > maxFrame()) {
      throw new FrameTooLongException(noun, p, false, maxFrame());
    }
    return match(p, 0);
  }

  private CorruptFrameException bare(byte v, int position) {
    return new CorruptFrameException("bare " + (v == '\n' ? "LF" : "CR") + " at byte " + position
        + " of a " + noun + ": only CRLF may end a " + noun + " of " + this);
  }

  @Override
  int maxBuffered() {
    return maxFrame() + longest - 1;
  }

  @Override
  String noun() {
    return noun;
  }

  @Override
  public String toString() {
    if (strict) {
      return "strictLines(" + maxFrame() + ")";
    }
    StringBuilder s = new StringBuilder(noun.equals("line") ? "lines(" : "delimited(");
    s.append(maxFrame());
    if (!noun.equals("line")) {
      s.append(keep ? ", KEEP" : ", STRIP");
      for (byte[] d : delimiters) {
        s.append(", ").append(show(d));
      }
    }
    return s.append(')').toString();
  }

  /**
   * The decoder: holds the unfinished record in {@link #acc}. Invariant: positions before
   * {@link #scanned} start no delimiter; beyond it, {@code acc} holds at most a delimiter but its
   * last byte, so {@code accLen <= maxFrame + longest - 1}.
   */
  final class Decoder extends FrameDecoderBase {
    private byte[] acc = EMPTY;
    private int accLen;
    private int scanned;

    Decoder() {
      super(DelimiterFraming.this);
    }

    @Override
    byte @Nullable [] next(ByteBuffer chunk) throws FrameException {
      long found = find(chunk);
      if (found == NEED_MORE) {
        return null;
      }
      int length = (int) found;
      int position = (int) (found >>> 32);
      int end = position + length;
      // A match never ends inside acc: acc past `scanned` is a delimiter but its last byte, and
      // no delimiter occurs in another before its last byte.
      int frameLength = keep ? end : position;
      byte[] frame = new byte[frameLength];
      int fromAcc = Math.min(accLen, frameLength);
      System.arraycopy(acc, 0, frame, 0, fromAcc);
      chunk.get(chunk.position(), frame, fromAcc, frameLength - fromAcc);
      chunk.position(chunk.position() + end - accLen);
      clear();
      return frame;
    }

    @Override
    @Nullable ByteBuffer nextSlice(ByteBuffer chunk) throws FrameException {
      if (accLen > 0) {
        return wrap(next(chunk));
      }
      long found = find(chunk);
      if (found == NEED_MORE) {
        return null;
      }
      int position = (int) (found >>> 32);
      int end = position + (int) found;
      int start = chunk.position();
      return slice(chunk, start, keep ? end : position, start + end);
    }

    /**
     * Returns where the next delimiter is ({@link #match}), or {@link #NEED_MORE} having taken all
     * of {@code chunk} into {@link #acc}.
     */
    private long find(ByteBuffer chunk) throws FrameException {
      long found = scan(acc, accLen, chunk, scanned);
      if ((int) found == 0) {
        append(chunk);
        scanned = (int) (found >>> 32);
        return NEED_MORE;
      }
      return found;
    }

    private void append(ByteBuffer chunk) {
      int n = chunk.remaining();
      if (accLen + n > acc.length) {
        int capacity = Math.max(accLen + n, Math.min(Math.max(64, acc.length * 2), maxBuffered()));
        acc = Arrays.copyOf(acc, capacity);
      }
      chunk.get(acc, accLen, n);
      accLen += n;
    }

    private void clear() {
      accLen = 0;
      scanned = 0;
      if (acc.length > KEEP_CAPACITY) {
        acc = EMPTY;
      }
    }

    @Override
    public int buffered() {
      return accLen;
    }

    @Override
    int retained() {
      return acc.length;
    }

    @Override
    byte[] takeRemainder() {
      byte[] rest = Arrays.copyOf(acc, accLen);
      clear();
      return rest;
    }
  }
}
