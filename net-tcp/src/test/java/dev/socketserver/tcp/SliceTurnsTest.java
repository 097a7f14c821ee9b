package dev.socketserver.tcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.socketserver.api.Connection;
import dev.socketserver.api.Framing;
import dev.socketserver.api.Handlers;
import dev.socketserver.api.RequestHandler;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Handlers#nonBlockingSlices}: every contract of {@link NonBlockingTurnsTest} and {@link
 * FramedTurnsTest} (inherited, run again with a handler that borrows its frames), and what is its
 * own: the borrowed frame itself, changed in place, is the reply, exactly, whatever the frames'
 * sizes (within one read buffer or across several) and however the client splits its writes and
 * reads, replies kept aside for a slow reader included.
 */
@Timeout(60)
class SliceTurnsTest extends NonBlockingTurnsTest {

  @Override
  RequestHandler<Connection> lines(int maxBytes, Handlers.LineHandler handler) {
    return Handlers.nonBlockingSlices(Framing.lines(maxBytes), frame -> {
      String reply = handler.reply(UTF_8.decode(frame).toString());
      return reply == null ? null : ByteBuffer.wrap(reply.getBytes(UTF_8));
    });
  }

  @Override
  RequestHandler<Connection> echoChunks(Framing framing, Runnable each) {
    return Handlers.nonBlockingSlices(framing, chunk -> {
      each.run();
      return chunk;
    });
  }

  private static final Framing FRAMES = Framing.lengthField(4, 1 << 16);

  /** Reverses {@code b}'s bytes in place. */
  private static void reverse(ByteBuffer b) {
    for (int i = 0, j = b.limit() - 1; i < j; i++, j--) {
      byte t = b.get(i);
      b.put(i, b.get(j));
      b.put(j, t);
    }
  }

  private static byte[] message(int index, int size) {
    byte[] m = new byte[size];
    for (int i = 0; i < size; i++) {
      m[i] = (byte) (index * 31 + i * 7 + (i >> 8));
    }
    return m;
  }

  @Test
  void theBorrowedFrameChangedInPlaceIsTheReplyExactlyWhateverTheSizesAndSplits() throws Exception {
    AtomicLong lent = new AtomicLong(); // frames that were slices of a (direct) read buffer
    try (TcpServer server = serve(TcpServer.builder().pollers(1)
        .filter(NonBlockingTurnsTest::smallSendBuffer)
        .handler(Handlers.nonBlockingSlices(FRAMES, frame -> {
          if (frame.isDirect()) {
            lent.incrementAndGet();
          }
          reverse(frame);
          return frame;
        })))) {
      qt().withExamples(12)
          .forAll(lists().of(integers().between(0, 20_000)).ofSizeBetween(1, 8),
              lists().of(integers().between(1, 9000)).ofSizeBetween(1, 6))
          .checkAssert((sizes, splits) -> {
            try {
              echo(server, sizes, splits);
            } catch (Exception e) {
              throw new AssertionError(e);
            }
          });
    }
    assertTrue(lent.get() > 0, "no frame was lent: the borrowed path never ran");
  }

  /** Sends frames of {@code sizes} and reads the replies, writes and reads split by {@code splits}. */
  private static void echo(TcpServer server, List<Integer> sizes, List<Integer> splits) throws Exception {
    ByteArrayOutputStream sent = new ByteArrayOutputStream();
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    for (int i = 0; i < sizes.size(); i++) {
      byte[] m = message(i, sizes.get(i));
      sent.write(FRAMES.encode(m));
      ByteBuffer reversed = ByteBuffer.wrap(m.clone());
      reverse(reversed);
      expected.write(FRAMES.encode(reversed.array()));
    }
    writeThenRead(server, sent.toByteArray(), splits, expected.toByteArray(), splits);
  }
}
