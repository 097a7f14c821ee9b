package dev.socketserver.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;

/**
 * How a byte stream is cut into frames (messages): lines, delimited records, length-prefixed
 * frames or fixed-size frames; or, for protocols with no messages, wherever its reads cut it
 * ({@link #chunks(int)}). The same description decodes ({@link #newDecoder()},
 * {@link Connection#readFrame(Framing)}) and encodes ({@link #encode(byte[])},
 * {@link Connection#writeFrame(Framing, byte[])}).
 *
 * <p><b>Limits.</b> Every framing has a maximum frame size, {@link #maxFrame()}: for lines and
 * delimited records the bytes before the delimiter, for length fields the bytes after the
 * header, for fixed-size frames the size. A frame of exactly the maximum passes; one byte more
 * raises {@link FrameTooLongException}, naming the limit and the size, as soon as that is known
 * and without buffering the frame: a length-prefixed frame fails right after its header, a
 * delimited one once {@code max + 1} bytes came without a delimiter. ({@link #chunks(int)} has no
 * messages to be too long or truncated: it cuts more bytes into several frames and its decoder
 * holds nothing, so what follows on partial input, memory and errors does not apply to it, and
 * its encoder rejects nothing.)
 *
 * <p><b>Partial input.</b> A decoder fed part of a frame keeps it (bounded by the maximum plus
 * the header, or plus a delimiter but one byte) and returns nothing until the rest arrives. End
 * of stream inside a frame is a {@link FrameException} ("truncated"); at a frame boundary it is a
 * clean end.
 *
 * <p><b>Memory follows the bytes received.</b> A decoder never reserves what a header announces:
 * a length-prefixed or fixed-size frame is gathered as its bytes arrive, so its decoder holds at
 * most the bytes received plus 1 KiB (and the header); a delimited record's buffer doubles as it
 * grows, so it holds at most twice the bytes received plus 8 KiB. A peer that announces a 1 MiB
 * frame and sends 5 bytes costs about 1 KiB, not 1 MiB.
 *
 * <p><b>After an error.</b> The stream does not continue after a {@link FrameException}: a
 * decoder does not skip an oversized frame to resynchronise. For a length field that would mean
 * reading and discarding up to gigabytes; for delimiters, guessing where a hostile sender meant
 * the next record to start is exactly how request smuggling works. A handler that lets the
 * exception out gets its connection closed by the server, and the default error handler logs one
 * WARN line without a stack trace.
 *
 * <p><b>Encoding.</b> The encoders write a frame the matching decoder gives back unchanged. One
 * they cannot represent (too long, containing its own delimiter, a length that does not fit the
 * field) is rejected with {@link IllegalArgumentException} before anything is written: it is the
 * caller's bug, not bad input from the peer, and the connection stays usable.
 *
 * <p>Immutable and thread-safe.
 *
 * @see FrameDecoder
 */
public abstract sealed class Framing
    permits DelimiterFraming, LengthFieldFraming, FixedLengthFraming, ChunkFraming {

  /** The largest maximum frame size any framing accepts: 1 GiB. */
  public static final int MAX_FRAME_LIMIT = 1 << 30;

  private static final byte[] LF = {'\n'};
  private static final byte[] CRLF = {'\r', '\n'};

  private final int maxFrame;

  Framing(int maxFrame) {
    if (maxFrame < 0 || maxFrame > MAX_FRAME_LIMIT) {
      throw new IllegalArgumentException(
          "maxFrame must be 0.." + MAX_FRAME_LIMIT + ": " + maxFrame);
    }
    this.maxFrame = maxFrame;
  }

  /**
   * Returns lines ended by LF or CRLF, of at most {@code maxBytes} bytes without the terminator,
   * which is stripped; the encoder ends each line with LF.
   *
   * <p>A CR is dropped only right before the LF: a lone CR stays part of the line. Accepting a
   * bare LF is lenient (as most line protocols are in practice) but is a smuggling risk when this
   * server and another one in front of it disagree on where a line ends: use
   * {@link #strictLines(int)} for protocols that mandate CRLF (HTTP, SMTP) behind a proxy.
   *
   * {@snippet lang=text :
   * BEFORE: | "GET" LF | "a" CR LF | "b" CR "c" LF |
   * AFTER:  | "GET"    | "a"       | "b" CR "c"    |
   * }
   *
   * @throws IllegalArgumentException if {@code maxBytes} is out of 0..{@link #MAX_FRAME_LIMIT}
   */
  public static Framing lines(int maxBytes) {
    return new DelimiterFraming("line", maxBytes, false, false, LF, CRLF);
  }

  /**
   * Returns lines ended by CRLF only, of at most {@code maxBytes} bytes without the CRLF, which
   * is stripped. A bare LF or a bare CR anywhere in the stream is a
   * {@link CorruptFrameException}: strict parsers leave no room for request smuggling.
   *
   * {@snippet lang=text :
   * BEFORE: | "a" CR LF | "b" LF "c" CR LF |
   * AFTER:  | "a"       | CorruptFrameException (bare LF) |
   * }
   *
   * @throws IllegalArgumentException if {@code maxBytes} is out of 0..{@link #MAX_FRAME_LIMIT}
   */
  public static Framing strictLines(int maxBytes) {
    return new DelimiterFraming("line", maxBytes, false, true, CRLF);
  }

  /**
   * Returns records ended by any of {@code delimiters}, which is stripped; see
   * {@link #delimited(int, DelimiterPolicy, byte[]...)}.
   *
   * @throws IllegalArgumentException as {@link #delimited(int, DelimiterPolicy, byte[]...)}
   */
  public static Framing delimited(int maxBytes, byte[]... delimiters) {
    return delimited(maxBytes, DelimiterPolicy.STRIP, delimiters);
  }

  /**
   * Returns records ended by any of {@code delimiters}, of at most {@code maxBytes} bytes not
   * counting the delimiter, which {@code policy} strips or keeps.
   *
   * <p>A record ends where the earliest delimiter in the stream starts. No delimiter may occur in
   * another one before that one's last byte (not {@code "ab"} with {@code "abc"}, nor {@code "b"}
   * with {@code "abc"}; LF with CRLF is fine): so at most one delimiter matches at any position,
   * the longest possible match is the only one, and deciding it never needs bytes past the
   * record's end. With LF and CRLF, {@code "a" CR LF} is {@code "a"} ended by CRLF, since CRLF
   * starts before the LF. The encoder ends records with the first delimiter.
   *
   * {@snippet lang=text :
   * delimited(8, KEEP, ";", "||"):
   * BEFORE: | "a;" | "bc||" | ";" | "d" <end of stream>
   * AFTER:  | "a;" | "bc||" | ";" | FrameException (truncated)
   * }
   *
   * @throws IllegalArgumentException if {@code maxBytes} is out of 0..{@link #MAX_FRAME_LIMIT},
   *     there is no delimiter, one is empty, two are equal or one occurs in another
   */
  public static Framing delimited(int maxBytes, DelimiterPolicy policy, byte[]... delimiters) {
    Objects.requireNonNull(policy, "policy");
    return new DelimiterFraming(
        "record", maxBytes, policy == DelimiterPolicy.KEEP, false, delimiters);
  }

  /**
   * Returns frames of at most {@code maxFrame} bytes, each preceded by its length in a
   * big-endian field of {@code fieldLength} bytes which is stripped: the common "length, then
   * payload" protocol. See {@link #lengthFieldBuilder(int, int)} for the other layouts.
   *
   * {@snippet lang=text :
   * lengthField(2, 1024):
   * BEFORE (14 bytes)                    AFTER (12 bytes)
   * +--------+----------------+          +----------------+
   * | 0x000C | "HELLO, WORLD" |   --->   | "HELLO, WORLD" |
   * +--------+----------------+          +----------------+
   * }
   *
   * @throws IllegalArgumentException as {@link LengthFieldBuilder#build()}
   */
  public static Framing lengthField(int fieldLength, int maxFrame) {
    return lengthFieldBuilder(fieldLength, maxFrame).build();
  }

  /**
   * Returns a builder of length-prefixed framings with a length field of {@code fieldLength}
   * bytes (1, 2, 3, 4 or 8) and frames of at most {@code maxFrame} bytes after the header.
   */
  public static LengthFieldBuilder lengthFieldBuilder(int fieldLength, int maxFrame) {
    return new LengthFieldBuilder(fieldLength, maxFrame);
  }

  /**
   * Returns frames of exactly {@code frameLength} bytes, which is also the maximum.
   *
   * {@snippet lang=text :
   * fixedLength(3):
   * BEFORE: | "AB" | "C" | "DEFG" | "HI" <end of stream>
   * AFTER:  | "ABC" | "DEF" | FrameException (truncated: "GHI" lacks a byte)
   * }
   *
   * @throws IllegalArgumentException if {@code frameLength} is out of 1..{@link #MAX_FRAME_LIMIT}
   */
  public static Framing fixedLength(int frameLength) {
    return new FixedLengthFraming(frameLength);
  }

  /**
   * Returns no framing: a byte stream cut wherever its reads cut it, into chunks of at most
   * {@code maxBytes}. Each frame is the bytes at hand when the decoder is called (up to the
   * maximum; a larger read is several frames), so the frames' boundaries are the network's, not
   * the sender's: two writes may arrive as one frame and one write as two. For protocols that
   * are byte streams, where any cut is as good as another: an echo (the {@code recv(1024)},
   * {@code sendall} loop of a tutorial's echo server), a relay, a proxy. The decoder holds
   * nothing between calls, so no input is ever truncated or too long; the encoder writes the
   * bytes as they are, of any length.
   *
   * {@snippet lang=text :
   * chunks(4):
   * BEFORE: | "AB" | "CDEFGH" | "I" <end of stream>
   * AFTER:  | "AB" | "CDEF" | "GH" | "I" |
   * }
   *
   * <p>With {@link Handlers#nonBlocking} this is the echo Netty's event loop runs: each read is
   * answered on the poller that made it, with no thread and no message boundary to find.
   *
   * @throws IllegalArgumentException if {@code maxBytes} is out of 1..{@link #MAX_FRAME_LIMIT}
   */
  public static Framing chunks(int maxBytes) {
    return new ChunkFraming(maxBytes);
  }

  /** Returns the maximum size of a frame, in bytes; see the class comment for what it counts. */
  public final int maxFrame() {
    return maxFrame;
  }

  /** Returns a new decoder for this framing, at the start of a stream. */
  public abstract FrameDecoder newDecoder();

  /**
   * Returns {@code frame} encoded for the wire: the bytes that decode back to it.
   *
   * @throws IllegalArgumentException if this framing cannot represent {@code frame}
   */
  public final byte[] encode(byte[] frame) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(frame.length + 16);
    try {
      writeTo(out, frame);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return out.toByteArray();
  }

  /**
   * Checks {@code frame}, then writes it encoded to {@code out}, or writes nothing.
   *
   * @throws IllegalArgumentException if this framing cannot represent {@code frame}
   */
  abstract void writeTo(OutputStream out, byte[] frame) throws IOException;

  /**
   * Checks {@code frame}'s remaining bytes, then writes them encoded to {@code out} (consuming
   * them), or writes nothing.
   *
   * @throws IllegalArgumentException if this framing cannot represent the frame
   */
  void writeTo(OutputStream out, ByteBuffer frame) throws IOException {
    byte[] copy = new byte[frame.remaining()];
    frame.get(frame.position(), copy);
    writeTo(out, copy);
    frame.position(frame.limit());
  }

  /**
   * Writes {@code body}'s remaining bytes to {@code out}, consuming them: through the channel if
   * {@code out} is also one (a connection's output, which copies them into its write buffer),
   * else from the buffer's array, else through a bounded copy.
   */
  static void writeBody(OutputStream out, ByteBuffer body) throws IOException {
    if (out instanceof WritableByteChannel channel) {
      while (body.hasRemaining()) {
        if (channel.write(body) == 0) {
          break; // a channel that takes nothing now: the stream's blocking write does the rest
        }
      }
    }
    if (body.hasArray()) {
      out.write(body.array(), body.arrayOffset() + body.position(), body.remaining());
      body.position(body.limit());
      return;
    }
    byte[] chunk = new byte[Math.min(body.remaining(), 8192)];
    while (body.hasRemaining()) {
      int n = Math.min(chunk.length, body.remaining());
      body.get(chunk, 0, n);
      out.write(chunk, 0, n);
    }
  }

  /** Returns the most bytes a decoder of this framing ever holds: maximum frame plus overhead. */
  abstract int maxBuffered();

  /** Returns what a frame is called in messages: "line", "record", "frame". */
  abstract String noun();

  /** Checks a frame against the maximum before it is encoded. */
  final void checkEncodable(int size) {
    if (size > maxFrame) {
      throw new IllegalArgumentException(
          noun() + " of " + size + " bytes exceeds the limit of " + maxFrame + " bytes of " + this);
    }
  }

  static String show(byte[] bytes) {
    StringBuilder s = new StringBuilder("\"");
    for (byte b : bytes) {
      if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\') {
        s.append((char) b);
      } else {
        s.append(String.format("\\x%02x", b & 0xff));
      }
    }
    return s.append('"').toString();
  }

  /** Whether a delimited framing keeps the delimiter at the end of each record. */
  public enum DelimiterPolicy {
    /** Records are returned without their delimiter; the encoder appends one. */
    STRIP,
    /** Records are returned with their delimiter; the encoder expects one at the end. */
    KEEP
  }

  /**
   * Builds a length-prefixed framing, in the model of netty's
   * {@code LengthFieldBasedFrameDecoder}. A frame on the wire is a header, then a body:
   *
   * {@snippet lang=text :
   * +---- header -----------------------+
   * | offset bytes | length field       | body: length + adjustment bytes
   * +--------------+--------------------+----------------------------------
   * the decoder returns the frame without its first {@code strip} bytes
   * }
   *
   * <p>The body's length is the field's value (unsigned; an 8-byte field is signed and a
   * negative value is corrupt), plus {@link #adjustment(int)}, minus the header's length if
   * {@link #lengthIncludesHeader(boolean)}. A negative body length is a
   * {@link CorruptFrameException}; a body over the maximum is a {@link FrameTooLongException}
   * thrown right after the header, before any of the body is read. Example, a 2-byte magic
   * number, a 2-byte length that counts the whole frame, nothing stripped:
   *
   * {@snippet lang=text :
   * lengthFieldBuilder(2, 100).offset(2).lengthIncludesHeader(true).strip(0).build():
   * BEFORE (9 bytes)                          AFTER (9 bytes)
   * +--------+--------+---------+             +--------+--------+---------+
   * | 0xCAFE | 0x0009 | "HELLO" |    --->     | 0xCAFE | 0x0009 | "HELLO" |
   * +--------+--------+---------+             +--------+--------+---------+
   * }
   *
   * <p>The encoder computes the field from the frame's size. It cannot recreate stripped bytes
   * that precede the field (the offset bytes), so it rejects writing with a framing that strips
   * some when the offset is not 0; and where the frame it is given holds the field (strip 0), the
   * field must already be right.
   *
   * <p>Not thread-safe; the framing it builds is immutable.
   */
  public static final class LengthFieldBuilder {
    private final int fieldLength;
    private final int maxFrame;
    private int offset;
    private ByteOrder order = ByteOrder.BIG_ENDIAN;
    private int adjustment;
    private int strip = -1; // the whole header
    private boolean includesHeader;

    LengthFieldBuilder(int fieldLength, int maxFrame) {
      this.fieldLength = fieldLength;
      this.maxFrame = maxFrame;
    }

    /** Sets how many header bytes precede the length field; default 0. */
    public LengthFieldBuilder offset(int bytes) {
      this.offset = bytes;
      return this;
    }

    /** Sets the length field's byte order; default big-endian (network order). */
    public LengthFieldBuilder byteOrder(ByteOrder order) {
      this.order = Objects.requireNonNull(order, "order");
      return this;
    }

    /** Sets what is added to the field's value to get the body's length; default 0. */
    public LengthFieldBuilder adjustment(int bytes) {
      this.adjustment = bytes;
      return this;
    }

    /**
     * Sets how many bytes the decoder removes from the front of each frame, from 0 to the
     * header's length; default the whole header, so the frame is the body.
     *
     * @throws IllegalArgumentException if {@code bytes < 0}
     */
    public LengthFieldBuilder strip(int bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("strip < 0: " + bytes);
      }
      this.strip = bytes;
      return this;
    }

    /** Sets whether the field's value counts the header too; default false. */
    public LengthFieldBuilder lengthIncludesHeader(boolean includes) {
      this.includesHeader = includes;
      return this;
    }

    /**
     * Returns the framing.
     *
     * @throws IllegalArgumentException if the field length is not 1, 2, 3, 4 or 8, the offset is
     *     out of 0..65535, the strip count out of 0..header length, or the maximum out of
     *     0..{@link #MAX_FRAME_LIMIT}
     */
    public Framing build() {
      return new LengthFieldFraming(
          fieldLength, maxFrame, offset, order, adjustment, strip, includesHeader);
    }
  }
}
