package dev.socketserver.bench;

import dev.socketserver.api.FrameDecoder;
import dev.socketserver.api.FrameException;
import dev.socketserver.api.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Decoding: one operation is one stream of {@link Streams#STREAM_BYTES} bytes of frames of
 * {@code size} bytes (8192 frames of 32 B, 4 of 64 KiB), delivered in 8 KiB direct chunks as a
 * socket read gives them, so frames straddle chunks and both sides must keep partial frames.
 *
 * <p>How the comparison is kept fair:
 * <ul>
 *   <li>Same bytes, same chunks, same frames: each Netty decoder is configured to cut exactly the
 *       frames ours cuts (delimiter stripped, length header stripped), and both are reused across
 *       operations, as a connection reuses its decoder.
 *   <li>Netty is driven the way a Netty server drives it: each chunk goes through a channel
 *       pipeline ({@code fireChannelRead} then {@code fireChannelReadComplete}), so its
 *       cumulation of partial frames is included, and a last handler consumes each frame.
 *   <li>The outputs differ, so both Netty variants are shown: {@code netty} releases each frame,
 *       a zero-copy slice of the input (Netty's natural use); {@code nettyToArray} copies each
 *       frame to a {@code byte[]} first, which is what ours returns (a new array the caller
 *       owns) and what a handler written against byte arrays would need; {@code oursSlices}
 *       decodes with {@code decodeSlice}, whose frames are slices of the chunk as Netty's are.
 * </ul>
 * Run with {@code -prof gc}: {@code gc.alloc.rate.norm} divided by the frames per operation is
 * the allocation per frame; for ours it should be the frame's array and nothing else. Netty runs
 * without its leak detector (a debugging aid that samples allocations), as in its own benchmarks.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DecodeBenchmark {
  @Param({"lines", "delimited", "lengthField", "fixedLength"})
  public String framing = "lines";

  @Param({"32", "65536"})
  public int size = 32;

  private FrameDecoder decoder = Framing.lines(1).newDecoder();
  private ByteBuffer[] chunks = {};
  private ByteBuf[] nettyChunks = {};
  private final Consumer slices = new Consumer(false);
  private final Consumer arrays = new Consumer(true);
  private EmbeddedChannel netty = new EmbeddedChannel();
  private EmbeddedChannel nettyToArray = new EmbeddedChannel();

  @Setup
  public void setUp() {
    Framing f = Streams.ours(framing, size);
    byte[] stream = Streams.stream(f, size);
    decoder = f.newDecoder();
    chunks = Streams.chunks(stream);
    nettyChunks = Streams.nettyChunks(stream);
    netty = new EmbeddedChannel(Streams.netty(framing, size), slices);
    nettyToArray = new EmbeddedChannel(Streams.netty(framing, size), arrays);
  }

  @TearDown
  public void tearDown() {
    var _ = netty.finishAndReleaseAll();
    var _ = nettyToArray.finishAndReleaseAll();
    for (ByteBuf c : nettyChunks) {
      c.release();
    }
  }

  @Benchmark
  public int ours(Blackhole bh) throws FrameException {
    int frames = 0;
    for (ByteBuffer chunk : chunks) {
      chunk.clear();
      byte[] frame;
      while ((frame = decoder.decode(chunk)) != null) {
        bh.consume(frame);
        frames++;
      }
    }
    return check(frames);
  }

  /**
   * Ours through {@link FrameDecoder#decodeSlice}: a frame whole in its chunk is a slice of it (as
   * Netty's), one gathered across chunks an array.
   */
  @Benchmark
  public int oursSlices(Blackhole bh) throws FrameException {
    int frames = 0;
    for (ByteBuffer chunk : chunks) {
      chunk.clear();
      ByteBuffer frame;
      while ((frame = decoder.decodeSlice(chunk)) != null) {
        bh.consume(frame);
        frames++;
      }
    }
    return check(frames);
  }

  @Benchmark
  public long netty() {
    return feed(netty, slices);
  }

  @Benchmark
  public long nettyToArray() {
    return feed(nettyToArray, arrays);
  }

  private long feed(EmbeddedChannel channel, Consumer consumer) {
    consumer.frames = 0;
    for (ByteBuf chunk : nettyChunks) {
      // The pipeline releases what it is given: hand it one more reference to a rewound chunk.
      channel.pipeline().fireChannelRead(chunk.retain().readerIndex(0));
      channel.pipeline().fireChannelReadComplete();
    }
    check(consumer.frames);
    return consumer.bytes;
  }

  private int check(int frames) {
    if (frames != Streams.frames(size)) {
      throw new IllegalStateException(frames + " frames, expected " + Streams.frames(size));
    }
    return frames;
  }

  /** The last handler: counts each frame, copies it to an array if asked, releases it. */
  private static final class Consumer extends ChannelInboundHandlerAdapter {
    private final boolean toArray;
    int frames;
    long bytes;
    byte[] last = {};

    Consumer(boolean toArray) {
      this.toArray = toArray;
    }

    @Override
    public boolean isSharable() {
      return false;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf frame = (ByteBuf) msg;
      frames++;
      if (toArray) {
        last = ByteBufUtil.getBytes(frame);
        bytes += last.length;
      } else {
        bytes += frame.readableBytes();
      }
      frame.release();
    }
  }
}
