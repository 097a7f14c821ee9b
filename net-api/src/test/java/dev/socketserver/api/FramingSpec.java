package dev.socketserver.api;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;

/**
 * A framing under test, at any limit, with a test-side model of its messages: how to make a
 * valid message from arbitrary bytes and one of a given counted size. The length-field model
 * writes headers itself, so the codec's encoder is checked against an independent oracle.
 */
record FramingSpec(String name, IntFunction<Framing> atLimit, int max, Shape shape) {

  /** How messages of a framing look. */
  sealed interface Shape {}

  /** Delimited records: {@code keep} appends {@code delimiter} to each message. */
  @SuppressWarnings("ArrayRecordComponent") // a test model, never compared
  record Delimited(boolean keep, byte[] delimiter) implements Shape {}

  /** Length-prefixed frames with the builder's parameters. */
  record LengthField(
      int fieldLength, ByteOrder order, int offset, int adjustment, int strip, boolean includes)
      implements Shape {
    int header() {
      return offset + fieldLength;
    }

    /** The decoded form of a frame with {@code body}, or null if the field cannot say it. */
    byte @Nullable [] message(byte[] body) {
      long value = (long) body.length - adjustment + (includes ? header() : 0);
      if (value < 0 || (fieldLength < 8 && value >>> (8 * fieldLength) != 0)) {
        return null;
      }
      ByteBuffer wire = ByteBuffer.allocate(header() + body.length).order(order);
      for (int i = 0; i < offset; i++) {
        wire.put((byte) (0xA0 + i));
      }
      byte[] field = ByteBuffer.allocate(8).order(order).putLong(value).array();
      // The low-order bytes of the long: the last ones big-endian, the first ones little-endian.
      int from = order == ByteOrder.BIG_ENDIAN ? 8 - fieldLength : 0;
      wire.put(field, from, fieldLength).put(body);
      return Arrays.copyOfRange(wire.array(), strip, wire.capacity());
    }
  }

  /** Fixed-length frames. */
  record Fixed() implements Shape {}

  Framing framing() {
    return atLimit.apply(max);
  }

  @Override
  public String toString() {
    return name;
  }

  /**
   * Returns a message made of {@code bytes} that this framing accepts, or null: truncated or
   * padded to fit, then dropped if the encoder rejects it (it contains a delimiter, say).
   */
  byte @Nullable [] message(byte[] bytes) {
    byte[] m = switch (shape) {
      case Delimited d -> d.keep()
          ? concat(Arrays.copyOf(bytes, Math.min(bytes.length, max)), d.delimiter())
          : Arrays.copyOf(bytes, Math.min(bytes.length, max));
      case LengthField lf -> lf.message(Arrays.copyOf(bytes, Math.min(bytes.length, max)));
      case Fixed f -> Arrays.copyOf(bytes, max);
    };
    if (m == null) {
      return null;
    }
    try {
      framing().encode(m);
      return m;
    } catch (IllegalArgumentException rejected) {
      return null;
    }
  }

  /** Returns a valid message of {@code size} counted bytes, encoded at the framing with limit {@code size}. */
  byte[] wireOfSize(int size) {
    byte[] content = new byte[size];
    Arrays.fill(content, (byte) 'z'); // in no test delimiter
    byte[] m = switch (shape) {
      case Delimited d -> d.keep() ? concat(content, d.delimiter()) : content;
      case LengthField lf -> lf.message(content);
      case Fixed f -> content;
    };
    if (m == null) {
      throw new AssertionError(name + " cannot say " + size);
    }
    return atLimit.apply(size).encode(m);
  }

  /** Returns the longest a decoded frame may be. */
  int maxDecoded() {
    return switch (shape) {
      case Delimited d -> max + (d.keep() ? 2 : 0); // the test delimiters have 1 or 2 bytes
      case LengthField lf -> max + lf.header() - lf.strip();
      case Fixed f -> max;
    };
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static FramingSpec delimited(String name, Framing.DelimiterPolicy policy, int max,
      String... delimiters) {
    byte[][] ds = Arrays.stream(delimiters).map(FramingSpec::ascii).toArray(byte[][]::new);
    return new FramingSpec(name, m -> Framing.delimited(m, policy, ds), max,
        new Delimited(policy == Framing.DelimiterPolicy.KEEP, ds[0]));
  }

  private static FramingSpec length(String name, int max, LengthField lf) {
    return new FramingSpec(name, m -> Framing.lengthFieldBuilder(lf.fieldLength(), m)
        .byteOrder(lf.order()).offset(lf.offset()).adjustment(lf.adjustment()).strip(lf.strip())
        .lengthIncludesHeader(lf.includes()).build(), max, lf);
  }

  /** Every framing the properties run on. */
  static final List<FramingSpec> ALL = all();

  private static List<FramingSpec> all() {
    ByteOrder be = ByteOrder.BIG_ENDIAN;
    ByteOrder le = ByteOrder.LITTLE_ENDIAN;
    List<FramingSpec> specs = new ArrayList<>();
    specs.add(new FramingSpec("lines(16)", Framing::lines, 16, new Delimited(false, ascii("\n"))));
    specs.add(new FramingSpec("lines(0)", Framing::lines, 0, new Delimited(false, ascii("\n"))));
    specs.add(new FramingSpec(
        "strictLines(16)", Framing::strictLines, 16, new Delimited(false, ascii("\r\n"))));
    specs.add(delimited("delimited(12, STRIP, ;, ||)", Framing.DelimiterPolicy.STRIP, 12, ";",
        "||"));
    specs.add(delimited("delimited(12, KEEP, CRLF, LF)", Framing.DelimiterPolicy.KEEP, 12, "\r\n",
        "\n"));
    specs.add(delimited("delimited(10, STRIP, abc, bcd)", Framing.DelimiterPolicy.STRIP, 10, "abc",
        "bcd"));
    specs.add(delimited("delimited(10, KEEP, xx)", Framing.DelimiterPolicy.KEEP, 10, "xx"));
    specs.add(length("lengthField(1)", 20, new LengthField(1, be, 0, 0, 1, false)));
    specs.add(length("lengthField(2 LE)", 20, new LengthField(2, le, 0, 0, 2, false)));
    specs.add(length("lengthField(3)", 300, new LengthField(3, be, 0, 0, 3, false)));
    specs.add(length("lengthField(4, includes header)", 20, new LengthField(4, be, 0, 0, 4, true)));
    specs.add(length("lengthField(8 LE)", 20, new LengthField(8, le, 0, 0, 8, false)));
    specs.add(length("lengthField(2, offset 2, includes header, strip 0)", 20,
        new LengthField(2, be, 2, 0, 0, true)));
    specs.add(length("lengthField(2, adjustment -2, strip 0)", 20,
        new LengthField(2, be, 0, -2, 0, false)));
    specs.add(length("lengthField(4 LE, adjustment 3, strip 1)", 20,
        new LengthField(4, le, 0, 3, 1, false)));
    specs.add(length("lengthField(1, max 0)", 0, new LengthField(1, be, 0, 0, 1, false)));
    specs.add(new FramingSpec("fixedLength(1)", Framing::fixedLength, 1, new Fixed()));
    specs.add(new FramingSpec("fixedLength(7)", Framing::fixedLength, 7, new Fixed()));
    return List.copyOf(specs);
  }
}
