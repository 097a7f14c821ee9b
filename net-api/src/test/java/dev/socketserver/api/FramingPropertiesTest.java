package dev.socketserver.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.socketserver.api.testing.Allocations;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.TriConsumer;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * The framing invariants as QuickTheories properties, over every framing of {@link FramingSpec}.
 * No sockets. On failure QuickTheories reports the falsifying input and its seed; replay it with
 * {@code ./mvnw -pl net-api verify -Dtest=FramingPropertiesTest -DQT_SEED=<seed>}.
 */
class FramingPropertiesTest {
  private static final int EXAMPLES = 2000;

  /** Bytes that mostly hit delimiters and small lengths, and sometimes anything. */
  static final Gen<Byte> BYTES = Generate.pick(List.of(
          (byte) 'a', (byte) 'b', (byte) 'c', (byte) 'x', (byte) ';', (byte) '|', (byte) '\r',
          (byte) '\n', (byte) 0, (byte) 1, (byte) 2))
      .mix(Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0), 30);
  static final Gen<byte[]> ARRAYS = Generate.byteArrays(integers().between(0, 40), BYTES);
  static final Gen<FramingSpec> SPECS = Generate.pick(FramingSpec.ALL);
  /** Chunk sizes, used in turn; 0 feeds an empty chunk. */
  static final Gen<List<Integer>> CHUNKS =
      lists().of(integers().between(0, 24)).ofSizeBetween(1, 12);

  /** The valid messages of {@code spec} made from {@code raw}; invalid ones are dropped. */
  static List<byte[]> messages(FramingSpec spec, List<byte[]> raw) {
    return raw.stream().map(spec::message).filter(Objects::nonNull).toList();
  }

  static byte[] encodeAll(Framing framing, List<byte[]> messages) {
    return FramingSpec.concat(messages.stream().map(framing::encode).toArray(byte[][]::new));
  }

  /**
   * Feeds {@code stream} to a new decoder in chunks of {@code sizes} (in turn), checking that
   * retained state stays bounded; returns the frames, then finishes the stream.
   */
  static List<byte[]> decodeInChunks(Framing framing, byte[] stream, List<Integer> sizes)
      throws FrameException {
    FrameDecoder decoder = framing.newDecoder();
    List<byte[]> frames = new ArrayList<>();
    int at = 0;
    int turn = 0;
    int empties = 0;
    while (at < stream.length) {
      int size = sizes.get(turn++ % sizes.size());
      if (size == 0 && ++empties > sizes.size()) {
        size = 1; // every size is 0: still get through the stream
      }
      size = Math.min(size, stream.length - at);
      ByteBuffer chunk = ByteBuffer.wrap(stream, at, size).slice();
      frames.addAll(decoder.decodeAll(chunk));
      assertEquals(0, chunk.remaining(), "decodeAll consumes the chunk");
      assertTrue(decoder.buffered() <= framing.maxBuffered(),
          () -> "retained " + decoder.buffered() + " > " + framing.maxBuffered());
      at += size;
    }
    decoder.finish();
    return frames;
  }

  /** A property body that may throw. */
  interface Body2<A, B> {
    void check(A a, B b) throws Exception;
  }

  /** A property body that may throw. */
  interface Body3<A, B, C> {
    void check(A a, B b, C c) throws Exception;
  }

  static <A, B> BiConsumer<A, B> checked(Body2<A, B> body) {
    return (a, b) -> {
      try {
        body.check(a, b);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    };
  }

  static <A, B, C> TriConsumer<A, B, C> checked(Body3<A, B, C> body) {
    return (a, b, c) -> {
      try {
        body.check(a, b, c);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    };
  }

  static void assertFrames(List<byte[]> expected, List<byte[]> actual) {
    assertEquals(expected.size(), actual.size(), "frame count");
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), actual.get(i), "frame " + i);
    }
  }

  @Test
  void decodingTheEncodingGivesTheMessagesBack() {
    qt().withExamples(EXAMPLES)
        .forAll(SPECS, lists().of(ARRAYS).ofSizeBetween(0, 8))
        .checkAssert(checked((spec, raw) -> {
          List<byte[]> messages = messages(spec, raw);
          Framing framing = spec.framing();
          FrameDecoder decoder = framing.newDecoder();
          List<byte[]> frames = decoder.decodeAll(ByteBuffer.wrap(encodeAll(framing, messages)));
          assertFrames(messages, frames);
          assertEquals(0, decoder.buffered());
          decoder.finish();
        }));
  }

  @Test
  void anySplitOfTheStreamGivesTheSameFrames() {
    qt().withExamples(EXAMPLES)
        .forAll(SPECS, lists().of(ARRAYS).ofSizeBetween(0, 8), CHUNKS)
        .checkAssert(checked((spec, raw, sizes) -> {
          List<byte[]> messages = messages(spec, raw);
          Framing framing = spec.framing();
          assertFrames(messages, decodeInChunks(framing, encodeAll(framing, messages), sizes));
        }));
  }

  @Test
  void slicesAreTheSameFramesUnderAnySplitAndShareTheChunkWhenTheDecoderHeldNothing() {
    qt().withExamples(EXAMPLES)
        .forAll(SPECS, lists().of(ARRAYS).ofSizeBetween(0, 8), CHUNKS)
        .checkAssert(checked((spec, raw, sizes) -> {
          List<byte[]> messages = messages(spec, raw);
          Framing framing = spec.framing();
          byte[] stream = encodeAll(framing, messages);
          FrameDecoder decoder = framing.newDecoder();
          List<byte[]> frames = new ArrayList<>();
          int at = 0;
          int turn = 0;
          while (at < stream.length) {
            int size = Math.min(Math.max(1, sizes.get(turn++ % sizes.size())), stream.length - at);
            ByteBuffer chunk = ByteBuffer.wrap(stream, at, size).slice();
            while (true) {
              boolean heldNothing = decoder.buffered() == 0;
              int from = chunk.position();
              ByteBuffer frame = decoder.decodeSlice(chunk);
              if (frame == null) {
                break;
              }
              assertEquals(0, frame.position());
              assertEquals(frame.capacity(), frame.limit(), "the frame and nothing beyond it");
              if (heldNothing) {
                assertSame(stream, frame.array(), "a frame whole in its chunk is a slice of it");
                int offset = frame.arrayOffset();
                assertTrue(offset >= at + from && offset + frame.limit() <= at + chunk.position(),
                    "the slice lies in the bytes the call consumed");
              } else {
                assertNotSame(stream, frame.array(), "a frame gathered across chunks is its own");
              }
              byte[] copy = new byte[frame.remaining()];
              frame.get(copy);
              frames.add(copy);
            }
            assertEquals(0, chunk.remaining(), "a null consumed the chunk");
            at += size;
          }
          decoder.finish();
          assertFrames(messages, frames);
        }));
  }

  /**
   * {@link Framing#chunks}: under any split, the frames are the stream cut at each chunk's end and
   * every maximum within a chunk (the decoder holds nothing between calls), through
   * {@code decode} and {@code decodeSlice} alike, the slices views of the chunk; together they
   * are the stream, and encoding writes bytes as they are.
   */
  @Test
  void chunksCutTheStreamWhereItsReadsCutItAndAtTheMaximumAndHoldNothing() {
    qt().withExamples(EXAMPLES)
        .forAll(integers().between(1, 30), Generate.byteArrays(integers().between(0, 200), BYTES),
            CHUNKS)
        .checkAssert(checked((max, stream, sizes) -> {
          Framing framing = Framing.chunks(max);
          assertArrayEquals(stream, framing.encode(stream), "encoding writes the bytes as they are");
          FrameDecoder arrays = framing.newDecoder();
          FrameDecoder slices = framing.newDecoder();
          assertNull(arrays.decode(ByteBuffer.allocate(0)), "an empty read is no frame");
          ByteArrayOutputStream joined = new ByteArrayOutputStream();
          int at = 0;
          int turn = 0;
          while (at < stream.length) {
            int size = Math.min(Math.max(1, sizes.get(turn++ % sizes.size())), stream.length - at);
            ByteBuffer forArrays = ByteBuffer.wrap(stream, at, size).slice();
            ByteBuffer forSlices = ByteBuffer.wrap(stream, at, size).slice();
            for (int from = at; from < at + size; from += max) {
              int expected = Math.min(at + size - from, max);
              byte[] frame = arrays.decode(forArrays);
              ByteBuffer slice = slices.decodeSlice(forSlices);
              assertNotNull(frame);
              assertNotNull(slice);
              assertArrayEquals(Arrays.copyOfRange(stream, from, from + expected), frame,
                  "what the read brought, up to the maximum");
              assertSame(stream, slice.array(), "a slice of the chunk");
              assertEquals(from, slice.arrayOffset() + slice.position());
              assertEquals(expected, slice.remaining());
              joined.writeBytes(frame);
            }
            assertNull(arrays.decode(forArrays), "nothing held back");
            assertNull(slices.decodeSlice(forSlices), "nothing held back");
            assertEquals(0, arrays.buffered());
            assertEquals(0, slices.buffered());
            at += size;
          }
          arrays.finish();
          slices.finish();
          assertArrayEquals(stream, joined.toByteArray());
        }));
  }

  /** An output stream that is also a channel taking at most {@code most} bytes per write, then 0 once. */
  static final class ChannelStream extends ByteArrayOutputStream implements WritableByteChannel {
    private final int most;
    private boolean stalled;

    ChannelStream(int most) {
      this.most = most;
    }

    @Override
    public int write(ByteBuffer src) {
      if (!stalled && src.remaining() > most) {
        stalled = true;
        return 0; // once: a channel that takes nothing now
      }
      int n = Math.min(most, src.remaining());
      byte[] a = new byte[n];
      src.get(a);
      write(a, 0, n);
      return n;
    }

    @Override
    public boolean isOpen() {
      return true;
    }
  }

  @Test
  void aBufferIsWrittenAsItsArrayIsEncodedOrRejectedAlikeWithNothingWritten() {
    qt().withExamples(EXAMPLES)
        .forAll(SPECS, ARRAYS, integers().between(1, 8))
        .checkAssert(checked((spec, raw, most) -> {
          Framing framing = spec.framing();
          byte[] expected;
          try {
            expected = framing.encode(raw);
          } catch (IllegalArgumentException e) {
            expected = null;
          }
          byte[] padded = new byte[raw.length + 6];
          System.arraycopy(raw, 0, padded, 3, raw.length);
          ByteBuffer direct = ByteBuffer.allocateDirect(raw.length);
          direct.put(raw).flip();
          List<ByteBuffer> buffers = List.of(
              ByteBuffer.wrap(padded, 3, raw.length), direct, ByteBuffer.wrap(padded, 3, raw.length).slice());
          List<ByteArrayOutputStream> outs = List.of(
              new ByteArrayOutputStream(), new ByteArrayOutputStream(), new ChannelStream(most));
          for (ByteBuffer frame : buffers) {
            for (ByteArrayOutputStream out : outs) {
              out.reset();
              ByteBuffer b = frame.duplicate();
              if (expected == null) {
                assertThrows(IllegalArgumentException.class, () -> framing.writeTo(out, b));
                assertEquals(0, out.size(), "nothing written");
                assertEquals(raw.length, b.remaining(), "nothing consumed");
              } else {
                framing.writeTo(out, b);
                assertArrayEquals(expected, out.toByteArray());
                assertEquals(0, b.remaining(), "the frame consumed");
              }
            }
          }
        }));
  }

  @Test
  void aFrameOfExactlyTheLimitPassesAndOneByteMoreFails() {
    qt().withExamples(200)
        .forAll(SPECS, CHUNKS)
        .checkAssert(checked((spec, sizes) -> {
          Framing framing = spec.framing();
          List<byte[]> atLimit = decodeInChunks(framing, spec.wireOfSize(spec.max()), sizes);
          assertEquals(1, atLimit.size());
          if (spec.shape() instanceof FramingSpec.Fixed) {
            return; // a fixed-length frame cannot be longer than its length
          }
          byte[] over = spec.wireOfSize(spec.max() + 1);
          FrameTooLongException e = assertThrows(
              FrameTooLongException.class, () -> decodeInChunks(framing, over, sizes));
          assertEquals(spec.max(), e.limit());
          assertEquals(spec.max() + 1, e.size());
        }));
  }

  @Test
  void garbageGivesFramesOrAFrameExceptionAndNothingElse() {
    qt().withExamples(EXAMPLES)
        .forAll(SPECS, Generate.byteArrays(integers().between(0, 400), BYTES), CHUNKS)
        .checkAssert(checked((spec, garbage, sizes) -> {
          Framing framing = spec.framing();
          try {
            for (byte[] frame : decodeInChunks(framing, garbage, sizes)) {
              assertTrue(frame.length <= spec.maxDecoded(), () -> "frame of " + frame.length);
            }
          } catch (FrameException expected) {
            // the only failure allowed
          }
        }));
  }

  @Test
  void garbageNeverMakesTheDecoderAllocatePastTheLimit() {
    // A length field announcing 2^31 - 1 bytes, then a trickle: fails at the header, holds none.
    Framing framing = Framing.lengthField(4, 1024);
    FrameDecoder decoder = framing.newDecoder();
    ByteBuffer huge = ByteBuffer.wrap(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1});
    FrameTooLongException e = assertThrows(FrameTooLongException.class, () -> decoder.decode(huge));
    assertEquals(Integer.MAX_VALUE, e.size());
    assertEquals(4, huge.position(), "failed right after the header");
  }

  /**
   * Memory follows the bytes that arrived, never the bytes a header announces: for any length
   * field (1 to 8 bytes, any value up to a 1 MiB limit) followed by any number of body bytes in
   * any chunks, a length-field decoder holds at most the bytes fed plus its header plus
   * {@link PartialFrame#MIN_SEGMENT} (1 KiB), and a fixed-length decoder at most the bytes fed
   * plus 1 KiB. (A decoder that reserved the announced frame held up to 1 MiB for 5 bytes.)
   */
  @Test
  void aDecoderHoldsMemoryForTheBytesThatArrivedNotForTheBytesAnnounced() {
    int max = 1 << 20;
    qt().withExamples(EXAMPLES)
        .forAll(Generate.pick(List.of(1, 2, 3, 4, 8)), integers().between(0, max),
            integers().between(0, 5000), CHUNKS)
        .checkAssert(checked((field, announced, sent, sizes) -> {
          Framing lengthField = Framing.lengthField(field, max);
          byte[] header = ByteBuffer.allocate(8).putLong(announced).array();
          byte[] stream = new byte[field + sent];
          System.arraycopy(header, 8 - field, stream, 0, field);
          assertRetainedFollowsFed(lengthField, stream, sizes, field + PartialFrame.MIN_SEGMENT);
          assertRetainedFollowsFed(
              Framing.fixedLength(Math.max(1, announced)), stream, sizes, PartialFrame.MIN_SEGMENT);
        }));
  }

  /** A property body of four values that may throw. */
  interface Body4<A, B, C, D> {
    void check(A a, B b, C c, D d) throws Exception;
  }

  static <A, B, C, D> org.quicktheories.api.QuadConsumer<A, B, C, D> checked(Body4<A, B, C, D> body) {
    return (a, b, c, d) -> {
      try {
        body.check(a, b, c, d);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    };
  }

  /**
   * Feeds {@code stream} in chunks of {@code sizes}; after every call the decoder's arrays hold at
   * most the bytes of the unfinished frame it received plus {@code slack}.
   */
  private static void assertRetainedFollowsFed(
      Framing framing, byte[] stream, List<Integer> sizes, int slack) throws FrameException {
    FrameDecoderBase decoder = (FrameDecoderBase) framing.newDecoder();
    int at = 0;
    for (int turn = 0; at < stream.length; turn++) {
      int size = Math.min(Math.max(1, sizes.get(turn % sizes.size())), stream.length - at);
      decoder.decodeAll(ByteBuffer.wrap(stream, at, size).slice());
      at += size;
      int fed = decoder.buffered();
      assertTrue(decoder.retained() <= fed + slack, () -> framing + " holds " + decoder.retained()
          + " bytes for " + fed + " received (allowed: received + " + slack + ")");
    }
  }

  /**
   * Random bytes in random chunks never make one decode call allocate more than the frame it may
   * return (the limit) plus a small constant: no decoder sizes anything by what a header claims
   * beyond its limit, whatever the input. Measured with the JVM's per-thread allocation counter,
   * on a second pass over the same input: the first one pays for code run for the first time
   * (class loading, string concatenation bootstraps), which is no decoder's doing.
   */
  @Test
  void garbageNeverMakesADecodeCallAllocateMoreThanTheLimit() {
    Allocations.assumeCounted();
    qt().withExamples(EXAMPLES)
        .forAll(SPECS, Generate.byteArrays(integers().between(0, 400), BYTES), CHUNKS)
        .checkAssert((spec, garbage, sizes) -> {
          maxAllocatedByOneDecodeCall(spec.framing(), garbage, sizes); // warm-up
          long allocated = maxAllocatedByOneDecodeCall(spec.framing(), garbage, sizes);
          long slack = 16 * 1024; // the call's own small objects, an exception and its stack trace
          assertTrue(allocated <= spec.max() + spec.framing().maxBuffered() + slack,
              () -> spec + " allocated " + allocated + " bytes in one decode call");
        });
  }

  /** Feeds {@code stream} in chunks of {@code sizes} until it ends or fails; returns the most one call allocated. */
  private static long maxAllocatedByOneDecodeCall(Framing framing, byte[] stream, List<Integer> sizes) {
    FrameDecoder decoder = framing.newDecoder();
    long max = 0;
    int at = 0;
    for (int turn = 0; at < stream.length; turn++) {
      int size = Math.min(Math.max(1, sizes.get(turn % sizes.size())), stream.length - at);
      ByteBuffer chunk = ByteBuffer.wrap(stream, at, size).slice();
      at += size;
      while (chunk.hasRemaining()) {
        long before = Allocations.byThisThread();
        try {
          decoder.decode(chunk);
        } catch (FrameException expected) {
          return Math.max(max, Allocations.byThisThread() - before); // spent
        }
        max = Math.max(max, Allocations.byThisThread() - before);
      }
    }
    return max;
  }
}
