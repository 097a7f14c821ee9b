package dev.socketserver.engine.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.socketserver.api.testing.Await;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The poller notices callbacks that hold it up: a non-blocking handler that blocks. */
@Timeout(30)
class PollerTest {

  @Test
  void aCallbackThatBlocksThePollerIsCountedAndAQuickOneIsNot() throws Exception {
    Pipe pipe = Pipe.open();
    try (Poller poller = Poller.start("test-poller");
        Pipe.SourceChannel source = pipe.source();
        Pipe.SinkChannel sink = pipe.sink()) {
      source.configureBlocking(false);
      CountDownLatch called = new CountDownLatch(2);
      SelectionKey key = poller.register(source);
      key.attach((Poller.Ready) ops -> {
        ByteBuffer b = ByteBuffer.allocate(1);
        try {
          source.read(b);
          if (b.get(0) == 'S') {
            // A handler that computes too long: busy past the limit, on the poller's thread.
            long until = System.nanoTime() + Poller.SLOW_CHUNK_NANOS + TimeUnit.MILLISECONDS.toNanos(20);
            while (System.nanoTime() - until < 0) {
              Thread.onSpinWait();
            }
          }
        } catch (Exception e) {
          throw new AssertionError(e);
        } finally {
          called.countDown();
        }
      });
      key.interestOps(SelectionKey.OP_READ);
      poller.wakeup();

      sink.write(ByteBuffer.wrap(new byte[] {'q'}));
      Await.until("the quick callback", Duration.ofSeconds(10), () -> called.getCount() == 1);
      assertEquals(0, poller.heldUp());
      sink.write(ByteBuffer.wrap(new byte[] {'S'}));
      called.await();
      Await.until("the slow callback to be counted", Duration.ofSeconds(10), () -> poller.heldUp() == 1);
    }
  }
}
