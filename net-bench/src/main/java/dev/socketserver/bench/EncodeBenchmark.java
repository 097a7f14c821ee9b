package dev.socketserver.bench;

import dev.socketserver.api.Connection;
import dev.socketserver.api.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.LengthFieldPrepender;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
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

/**
 * Encoding one frame of {@code size} bytes.
 *
 * <ul>
 *   <li>{@code oursEncode}: {@link Framing#encode(byte[])}, a new array holding the wire bytes;
 *   <li>{@code oursWriteFrame}: {@link Connection#writeFrame(Framing, byte[])} into a connection's
 *       buffered output (here a sink that copies into a reused array), the server's path;
 *   <li>{@code nettyLengthPrepender} (lengthField only, the one framing for which Netty has an
 *       encoder taking bytes): {@code LengthFieldPrepender.encode}, which allocates a 4-byte
 *       header buffer and passes the payload on by reference (a gathering write follows); both
 *       are released. Netty has no encoder for delimiters or fixed lengths: a Netty handler
 *       writes the payload and the delimiter itself. For other framings this method returns at
 *       once and its figure is meaningless; the report leaves it out.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class EncodeBenchmark {
  @Param({"lines", "delimited", "lengthField", "fixedLength"})
  public String framing = "lines";

  @Param({"32", "65536"})
  public int size = 32;

  private Framing ours = Framing.lines(1);
  private byte[] frame = {};
  private final SinkConnection sink = new SinkConnection();
  private final Prepender prepender = new Prepender();
  private EmbeddedChannel channel = new EmbeddedChannel();
  private @Nullable ChannelHandlerContext ctx;
  private ByteBuf nettyFrame = Unpooled.EMPTY_BUFFER;
  private final List<Object> out = new ArrayList<>();

  @Setup
  public void setUp() {
    ours = Streams.ours(framing, size);
    frame = Streams.payload(size, size);
    channel = new EmbeddedChannel(prepender);
    ctx = channel.pipeline().context(prepender);
    nettyFrame = Unpooled.directBuffer(size).writeBytes(frame);
  }

  @TearDown
  public void tearDown() {
    var _ = channel.finishAndReleaseAll();
    nettyFrame.release();
  }

  @Benchmark
  public byte[] oursEncode() {
    return ours.encode(frame);
  }

  @Benchmark
  public int oursWriteFrame() throws IOException {
    sink.writeFrame(ours, frame);
    return sink.position;
  }

  @Benchmark
  public int nettyLengthPrepender() throws Exception {
    ChannelHandlerContext c = ctx;
    if (c == null || !framing.equals("lengthField")) {
      return 0;
    }
    prepender.encodeNow(c, nettyFrame, out);
    int bytes = 0;
    for (Object o : out) {
      ByteBuf b = (ByteBuf) o;
      bytes += b.readableBytes();
      b.release();
    }
    out.clear();
    return bytes;
  }

  /** {@link LengthFieldPrepender} with its {@code encode} callable from here. */
  private static final class Prepender extends LengthFieldPrepender {
    Prepender() {
      super(4);
    }

    void encodeNow(ChannelHandlerContext ctx, ByteBuf msg, List<Object> out) throws Exception {
      encode(ctx, msg, out);
    }
  }

  /**
   * A connection whose output copies into one reused 128 KiB array, standing in for the pooled
   * write buffer of a real connection; nothing else is supported.
   */
  private static final class SinkConnection extends OutputStream implements Connection {
    private final byte[] buffer = new byte[128 * 1024 + 64];
    int position;

    @Override
    public void write(int b) {
      if (position == buffer.length) {
        position = 0;
      }
      buffer[position++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      if (position + len > buffer.length) {
        position = 0;
      }
      System.arraycopy(b, off, buffer, position, len);
      position += len;
    }

    @Override
    public InputStream input() {
      throw new UnsupportedOperationException();
    }

    @Override
    public OutputStream output() {
      return this;
    }

    @Override
    public @Nullable String readLine(int maxBytes) {
      throw new UnsupportedOperationException();
    }

    @Override
    public SocketAddress remoteAddress() {
      throw new UnsupportedOperationException();
    }

    @Override
    public SocketAddress localAddress() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Duration readTimeout() {
      return Duration.ZERO;
    }

    @Override
    public void readTimeout(Duration timeout) {}

    @Override
    public Duration writeTimeout() {
      return Duration.ZERO;
    }

    @Override
    public void writeTimeout(Duration timeout) {}

    @Override
    public <T> T option(SocketOption<T> name) {
      throw new UnsupportedOperationException();
    }

    @Override
    public <T> void option(SocketOption<T> name, T value) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void shutdownOutput() {}

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }
}
