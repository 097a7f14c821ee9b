package dev.socketserver.api;

import static dev.socketserver.api.FramingPropertiesTest.checked;
import static dev.socketserver.api.FramingSpec.ascii;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.socketserver.api.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * The blocking faces of a real {@code ChannelConnection} over loopback TCP: buffered streams never
 * lose, duplicate or reorder bytes, and {@link Connection#readFrame} agrees with the incremental
 * decoder. Replay a failure with {@code -Dtest=ConnectionStreamsTest -DQT_SEED=<seed>}.
 */
class ConnectionStreamsTest {

  /** Buffer sizes from 1 byte up, and 0 (unbuffered) for writes. */
  private static final Gen<Integer> BUFFER_SIZES = Generate.pick(List.of(1, 2, 3, 7, 64, 8192))
      .mix(integers().between(1, 300), 50);
  /** A write of n bytes (n >= 0), or a flush (-1); -2 is a single-byte {@code write(int)}. */
  private static final Gen<List<Integer>> WRITES =
      lists().of(integers().between(-2, 4000)).ofSizeBetween(0, 30);
  private static final Gen<List<Integer>> READS =
      lists().of(integers().between(0, 5000)).ofSizeBetween(1, 10);

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void theReceiverGetsExactlyWhatWasWrittenWhateverTheBuffersAndFlushes() {
    qt().withExamples(100)
        .forAll(BUFFER_SIZES, BUFFER_SIZES.mix(Generate.constant(0), 30), WRITES, READS)
        .checkAssert((readBuffer, writeBuffer, writes, reads) -> {
          try {
            transfer(readBuffer, writeBuffer, writes, reads);
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
  }

  private static void transfer(
      int readBuffer, int writeBuffer, List<Integer> writes, List<Integer> reads)
      throws Exception {
    ConnectionOptions writerOptions = ConnectionOptions.defaults().withWriteBufferSize(writeBuffer);
    ConnectionOptions readerOptions = ConnectionOptions.defaults().withReadBufferSize(readBuffer);
    ByteArrayOutputStream sent = new ByteArrayOutputStream();
    try (Loopback pair = Loopback.open(writerOptions, readerOptions)) {
      CompletableFuture<Void> writer = Loopback.async(() -> {
        OutputStream out = pair.left().output();
        int next = 0;
        for (int op : writes) {
          if (op == -1) {
            out.flush();
          } else if (op == -2) {
            out.write(next);
            sent.write(next++);
          } else {
            byte[] bytes = new byte[op];
            for (int i = 0; i < op; i++) {
              bytes[i] = (byte) next++;
            }
            out.write(bytes);
            sent.write(bytes);
          }
        }
        pair.left().close(); // flushes
      });
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      InputStream in = pair.right().input();
      for (int turn = 0; ; turn++) {
        int size = reads.get(turn % reads.size());
        if (size == 0) {
          int b = in.read();
          if (b < 0) {
            break;
          }
          received.write(b);
        } else {
          byte[] buffer = new byte[size];
          int n = in.read(buffer, 0, size);
          if (n < 0) {
            break;
          }
          received.write(buffer, 0, n);
        }
      }
      writer.join();
      assertArrayEquals(sent.toByteArray(), received.toByteArray());
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aWriteLargerThanTheSocketBuffersWaitsForTheReader() throws Exception {
    byte[] big = new byte[8 << 20];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31 + (i >>> 11));
    }
    for (int writeBuffer : new int[] {0, 8192}) {
      try (Loopback pair = Loopback.open(
          ConnectionOptions.defaults().withWriteBufferSize(writeBuffer),
          ConnectionOptions.defaults().withReadBufferSize(4096))) {
        CompletableFuture<Void> writer = Loopback.async(() -> {
          pair.left().output().write(big);
          pair.left().shutdownOutput();
        });
        assertArrayEquals(big, pair.right().input().readAllBytes());
        writer.join();
      }
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void transferToEchoesEveryByteIntoItsOwnOutputOrAnyOtherStream() throws Exception {
    byte[] data = new byte[30_000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 31 + (i >>> 9));
    }
    int[][] sizes = {{1, 0}, {1, 1}, {7, 3}, {300, 5000}, {8192, 8192}, {65536, 0}, {100, 65536}};
    for (int[] s : sizes) {
      for (boolean own : new boolean[] {true, false}) {
        try (Loopback pair = Loopback.open(
            ConnectionOptions.defaults(),
            ConnectionOptions.defaults().withReadBufferSize(s[0]).withWriteBufferSize(s[1]))) {
          ByteArrayOutputStream copy = new ByteArrayOutputStream();
          CompletableFuture<Long> echo = CompletableFuture.supplyAsync(() -> {
            try {
              OutputStream to = own ? pair.right().output() : copy;
              long n = pair.right().input().transferTo(to);
              if (!own) {
                pair.right().output().write(copy.toByteArray());
              }
              pair.right().shutdownOutput();
              return n;
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          });
          CompletableFuture<byte[]> back = CompletableFuture.supplyAsync(() -> {
            try {
              return pair.left().input().readAllBytes();
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          });
          for (int off = 0; off < data.length; off += 777) {
            pair.left().output().write(data, off, Math.min(777, data.length - off));
          }
          pair.left().shutdownOutput();
          String what = "buffers " + s[0] + "/" + s[1] + (own ? ", own output" : ", other stream");
          assertEquals(data.length, echo.get(30, TimeUnit.SECONDS), what);
          assertArrayEquals(data, back.get(30, TimeUnit.SECONDS), what);
        }
      }
    }
  }

  /** What reading a whole stream gives: its frames, then the failure that ended it, if any. */
  private record Outcome(List<byte[]> frames, @Nullable String failure) {
    void assertSame(Outcome other) {
      assertEquals(failure, other.failure);
      FramingPropertiesTest.assertFrames(frames, other.frames);
    }
  }

  private static Outcome incremental(Framing framing, byte[] stream) {
    FrameDecoder decoder = framing.newDecoder();
    List<byte[]> frames = new ArrayList<>();
    ByteBuffer chunk = ByteBuffer.wrap(stream);
    try {
      byte[] frame;
      while ((frame = decoder.decode(chunk)) != null) {
        frames.add(frame);
      }
      decoder.finish();
      return new Outcome(frames, null);
    } catch (FrameException e) {
      return new Outcome(frames, e.toString());
    }
  }

  private static Outcome blocking(Connection c, Framing framing) {
    List<byte[]> frames = new ArrayList<>();
    try {
      byte[] frame;
      while ((frame = c.readFrame(framing)) != null) {
        frames.add(frame);
      }
      return new Outcome(frames, null);
    } catch (FrameException e) {
      return new Outcome(frames, e.toString());
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void readFrameAgreesWithTheIncrementalDecoderOnEveryInput() {
    Gen<byte[]> garbage = Generate.byteArrays(integers().between(0, 300), FramingPropertiesTest.BYTES);
    qt().withExamples(200)
        .forAll(FramingPropertiesTest.SPECS, lists().of(FramingPropertiesTest.ARRAYS)
            .ofSizeBetween(0, 8), garbage, BUFFER_SIZES)
        .checkAssert((spec, raw, junk, readBuffer) -> {
          try {
            Framing framing = spec.framing();
            // Valid frames, then (in half the cases) garbage after them.
            byte[] stream = FramingSpec.concat(FramingPropertiesTest.encodeAll(
                framing, FramingPropertiesTest.messages(spec, raw)),
                readBuffer % 2 == 0 ? junk : new byte[0]);
            try (Loopback pair = Loopback.open(ConnectionOptions.defaults(),
                ConnectionOptions.defaults().withReadBufferSize(readBuffer))) {
              CompletableFuture<Void> writer = Loopback.async(() -> {
                for (int at = 0; at < stream.length; at += 7) { // small flushed pieces
                  pair.left().output().write(stream, at, Math.min(7, stream.length - at));
                  pair.left().output().flush();
                }
                pair.left().shutdownOutput();
              });
              incremental(framing, stream).assertSame(blocking(pair.right(), framing));
              writer.join();
            }
          } catch (java.io.IOException e) {
            throw new AssertionError(e);
          }
        });
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void twoThreadsReadingOneConnectionAtOnceAreEachServedAndEachWokenByClose() throws Exception {
    try (Loopback pair = Loopback.open(ConnectionOptions.defaults(), ConnectionOptions.defaults())) {
      Connection c = pair.right();
      ConcurrentLinkedQueue<Integer> got = new ConcurrentLinkedQueue<>();
      List<Thread> readers = startReaders(c, got);
      pair.left().output().write(ascii("ab"));
      pair.left().output().flush();
      for (Thread t : readers) {
        t.join();
      }
      assertEquals(List.of((int) 'a', (int) 'b'), got.stream().sorted().toList());

      got.clear();
      readers = startReaders(c, got);
      pair.right().abort();
      for (Thread t : readers) {
        t.join();
      }
      assertEquals(List.of(-2, -2), List.copyOf(got), "each waiting reader fails once the connection is closed");
    }
  }

  /** Starts two threads each reading one byte of {@code c} (-2 for an IOException), once both wait. */
  private static List<Thread> startReaders(Connection c, ConcurrentLinkedQueue<Integer> got) {
    List<Thread> readers = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      readers.add(Thread.ofVirtual().start(() -> {
        try {
          got.add(c.input().read());
        } catch (IOException e) {
          got.add(-2);
        }
      }));
    }
    Await.until("both readers waiting", Duration.ofSeconds(5),
        () -> readers.stream().allMatch(t -> t.getState() == Thread.State.WAITING));
    return readers;
  }

  /**
   * A request buffered after the peer reset the connection cannot be delivered; the read already
   * said so, so close drops it rather than failing a second time with "Broken pipe" (which a
   * try-with-resources around a finished exchange would turn into the caller's failure).
   */
  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void closeAfterThePeerResetDropsBufferedOutputInsteadOfThrowing() throws Exception {
    try (Loopback pair = Loopback.open(ConnectionOptions.defaults(), ConnectionOptions.defaults())) {
      pair.right().option(StandardSocketOptions.SO_LINGER, 0);
      pair.right().abort(); // linger 0: the close sends a reset
      Connection c = pair.left();
      SocketException reset = assertThrows(SocketException.class, () -> c.input().read());
      assertTrue(String.valueOf(reset.getMessage()).startsWith("Connection reset"), reset::toString);
      c.output().write(ascii("request\n")); // buffered: nothing is sent yet
      assertThrows(SocketException.class, () -> c.readLine(100), "the reset again, not a hang");
      c.close();
      assertFalse(c.isOpen());
    }
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void readFrameConsumesNoBytePastTheFrame() throws Exception {
    try (Loopback pair = Loopback.open(ConnectionOptions.defaults(), ConnectionOptions.defaults())) {
      Framing framing = Framing.lengthField(2, 100);
      pair.left().writeFrame(framing, ascii("one"));
      pair.left().writeFrame(Framing.lines(10), ascii("two"));
      pair.left().output().write(ascii("rest"));
      pair.left().shutdownOutput();
      assertArrayEquals(ascii("one"), pair.right().readFrame(framing));
      assertEquals("two", pair.right().readLine(10));
      assertArrayEquals(ascii("rest"), pair.right().input().readAllBytes());
      assertNull(pair.right().readFrame(framing));
    }
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void readLineKeepsItsContract() throws Exception {
    try (Loopback pair = Loopback.open(ConnectionOptions.defaults(),
        ConnectionOptions.defaults().withReadBufferSize(3))) {
      pair.left().output().write(ascii("a\r\nb\rc\nexact\nlast\r"));
      pair.left().shutdownOutput();
      Connection c = pair.right();
      assertEquals("a", c.readLine(5));
      assertEquals("b\rc", c.readLine(5));
      assertEquals("exact", c.readLine(5));
      assertEquals("last\r", c.readLine(5)); // unterminated rest, lone CR kept
      assertNull(c.readLine(5));
      assertThrows(IllegalArgumentException.class, () -> c.readLine(-1));
    }
    try (Loopback pair = Loopback.open(ConnectionOptions.defaults(), ConnectionOptions.defaults())) {
      pair.left().output().write(ascii("toolong\n"));
      pair.left().shutdownOutput();
      FrameTooLongException e =
          assertThrows(FrameTooLongException.class, () -> pair.right().readLine(5));
      assertEquals(5, e.limit());
    }
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void aLinesHandlerAnswersEachLineOfABatch() throws Exception {
    RequestHandler<Connection> upper =
        Handlers.lines(16, line -> line.isEmpty() ? null : line.toUpperCase(java.util.Locale.ROOT));
    try (Loopback pair = Loopback.open(ConnectionOptions.defaults(), ConnectionOptions.defaults())) {
      CompletableFuture<Void> server = Loopback.async(() -> {
        upper.handle(pair.right());
        pair.right().close(); // as the server does
      });
      pair.left().output().write("héllo\r\n\nworld\n".getBytes(StandardCharsets.UTF_8));
      pair.left().shutdownOutput();
      assertEquals("HÉLLO\nWORLD\n",
          new String(pair.left().input().readAllBytes(), StandardCharsets.UTF_8));
      server.join();
    }
  }
}
