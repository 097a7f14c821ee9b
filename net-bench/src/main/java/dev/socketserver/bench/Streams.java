package dev.socketserver.bench;

import dev.socketserver.api.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.DelimiterBasedFrameDecoder;
import io.netty.handler.codec.FixedLengthFrameDecoder;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LineBasedFrameDecoder;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The framings the codec benchmarks compare, each with its Netty counterpart configured to cut
 * the same frames from the same bytes, and the byte streams they are fed.
 */
final class Streams {
  /** Every benchmark stream holds this many bytes of frames (rounded up to whole frames). */
  static final int STREAM_BYTES = 256 * 1024;
  /** Streams are delivered in chunks of this size: the server's default read buffer. */
  static final int CHUNK = 8192;
  /** The maximum frame of every framing: larger than any frame, so no limit is hit. */
  static final int MAX = 1 << 20;
  /** The record delimiter of the {@code delimited} case: NUL-terminated records. */
  static final byte[] NUL = {0};

  private Streams() {}

  /** Returns our framing named {@code name} for frames of {@code size} bytes. */
  static Framing ours(String name, int size) {
    return switch (name) {
      case "lines" -> Framing.lines(MAX);
      case "delimited" -> Framing.delimited(MAX, NUL);
      case "lengthField" -> Framing.lengthField(4, MAX);
      case "fixedLength" -> Framing.fixedLength(size);
      default -> throw new IllegalArgumentException("unknown framing: " + name);
    };
  }

  /** Returns a new Netty decoder that cuts the same frames as {@link #ours} from the same bytes. */
  static ChannelHandler netty(String name, int size) {
    return switch (name) {
      case "lines" -> new LineBasedFrameDecoder(MAX, true, false);
      case "delimited" -> new DelimiterBasedFrameDecoder(MAX, true, Unpooled.wrappedBuffer(NUL));
      case "lengthField" -> new LengthFieldBasedFrameDecoder(MAX, 0, 4, 0, 4);
      case "fixedLength" -> new FixedLengthFrameDecoder(size);
      default -> throw new IllegalArgumentException("unknown framing: " + name);
    };
  }

  /**
   * Returns a frame payload of {@code size} random printable bytes (no LF, CR or NUL, so every
   * framing can carry it unchanged).
   */
  static byte[] payload(int size, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    byte[] p = new byte[size];
    for (int i = 0; i < size; i++) {
      p[i] = (byte) ('!' + random.nextInt(94));
    }
    return p;
  }

  /** Returns the encoded stream: as many frames of {@code size} bytes as fill {@link #STREAM_BYTES}. */
  static byte[] stream(Framing framing, int size) {
    int frames = frames(size);
    byte[] one = framing.encode(payload(size, size));
    byte[] all = new byte[one.length * frames];
    for (int i = 0; i < frames; i++) {
      System.arraycopy(one, 0, all, i * one.length, one.length);
    }
    return all;
  }

  /** Returns how many frames of {@code size} bytes one stream holds. */
  static int frames(int size) {
    return Math.max(1, STREAM_BYTES / size);
  }

  /** Returns {@code stream} cut into direct buffers of {@link #CHUNK} bytes, as socket reads give them. */
  static ByteBuffer[] chunks(byte[] stream) {
    ByteBuffer[] chunks = new ByteBuffer[(stream.length + CHUNK - 1) / CHUNK];
    for (int i = 0; i < chunks.length; i++) {
      byte[] part = Arrays.copyOfRange(stream, i * CHUNK, Math.min(stream.length, (i + 1) * CHUNK));
      chunks[i] = ByteBuffer.allocateDirect(part.length).put(part).flip();
    }
    return chunks;
  }

  /** The same chunks as Netty direct buffers. */
  static ByteBuf[] nettyChunks(byte[] stream) {
    ByteBuffer[] ours = chunks(stream);
    ByteBuf[] chunks = new ByteBuf[ours.length];
    for (int i = 0; i < ours.length; i++) {
      chunks[i] = Unpooled.directBuffer(ours[i].remaining()).writeBytes(ours[i].duplicate());
    }
    return chunks;
  }
}
