package dev.socketserver.engine.stream;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import dev.socketserver.api.ConnectionOptions;
import dev.socketserver.api.FrameDecoder;
import dev.socketserver.api.Framing;
import dev.socketserver.api.testing.Await;
import dev.socketserver.engine.telemetry.Counters;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A frame lent to a handler ({@link ChannelConnection#pollSlice}) is a slice of the pooled read
 * buffer: that buffer must not go back to the pool, where another connection's read would reuse
 * its memory, until the loan ends, whether the frame emptied it or a close on another thread
 * dropped it meanwhile. Pool and connection are driven directly, so what the pool holds is seen.
 */
@Timeout(30)
class SliceLoanTest {
  private final ConnectionOptions options = ConnectionOptions.defaults();
  private final BufferPools pools = BufferPools.forOptions(options);
  private final BufferPool reads = pools.read();
  private ServerSocketChannel listener;
  private SocketChannel client;
  private Poller poller;
  private ChannelConnection connection;

  @BeforeEach
  void connect() throws Exception {
    listener = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    client = SocketChannel.open(listener.getLocalAddress());
    poller = Poller.start("test-poller");
    connection = ChannelConnection.open(listener.accept(), poller, pools, options, new Counters());
  }

  @AfterEach
  void close() throws Exception {
    connection.abort();
    poller.close();
    client.close();
    listener.close();
  }

  private void send(String bytes) throws Exception {
    client.write(ByteBuffer.wrap(bytes.getBytes(US_ASCII)));
    Await.until("the poller to read " + bytes, Duration.ofSeconds(10),
        () -> connection.input().available() == bytes.length());
  }

  private static String text(ByteBuffer slice) {
    return US_ASCII.decode(slice.duplicate()).toString();
  }

  @Test
  void aBufferTheFrameEmptiedStaysLentUntilTheLoanEnds() throws Exception {
    send("0123456789");
    assertEquals(options.readBufferSize(), reads.charged(), "the poller's read buffer");
    FrameDecoder decoder = Framing.fixedLength(10).newDecoder();

    ByteBuffer frame = connection.pollSlice(decoder);
    assertNotNull(frame);
    assertEquals("0123456789", text(frame));
    // The frame emptied the buffer: given back now, the next take would be that very memory.
    assertEquals(options.readBufferSize(), reads.charged(), "the lent buffer is still out");
    ByteBuffer other = reads.take();
    try {
      assertNotSame(frame, other);
      other.clear().put("xxxxxxxxxx".getBytes(US_ASCII));
      assertEquals("0123456789", text(frame), "another user of the pool wrote into the loan");
    } finally {
      reads.give(other);
    }

    connection.returnLoan();
    assertEquals(0, reads.charged(), "the loan ended: the buffer is back");
    assertEquals(Inbound.NEED_INPUT_SLICE, connection.pollSlice(decoder));
  }

  @Test
  void aCloseOnAnotherThreadLeavesTheLentBufferToTheLoanWhichGivesItBackOnce() throws Exception {
    send("0123456789");
    FrameDecoder decoder = Framing.fixedLength(4).newDecoder();
    ByteBuffer first = connection.pollSlice(decoder);
    assertNotNull(first);
    ByteBuffer second = connection.pollSlice(decoder); // the first loan ends: bytes remain
    assertNotNull(second);
    assertEquals("4567", text(second));

    CompletableFuture.runAsync(connection::abort).get();
    assertEquals(options.readBufferSize(), reads.charged(),
        "the close gave back a buffer the handler still reads");
    assertEquals("4567", text(second));

    connection.returnLoan();
    assertEquals(0, reads.charged(), "the loan ended after the close: the buffer goes back once");
    connection.returnLoan();
    assertEquals(0, reads.charged(), "a second return gives nothing back");
  }

  @Test
  void aFrameSpreadOverReadsIsAnArrayOfItsOwnAndLendsNothingPast() throws Exception {
    FrameDecoder decoder = Framing.fixedLength(12).newDecoder();
    send("01234567");
    assertEquals(Inbound.NEED_INPUT_SLICE, connection.pollSlice(decoder));
    assertEquals(8, reads.charged(), "the partial frame's 8 bytes, and no read buffer");
    send("89ab");
    ByteBuffer frame = connection.pollSlice(decoder);
    assertNotNull(frame);
    assertEquals("0123456789ab", text(frame));
    connection.returnLoan();
    assertEquals(0, reads.charged());
  }
}
