package dev.socketserver.engine.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.socketserver.api.ConnectionOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** How a server's pollers share its connections and its inbound budget. */
@Timeout(30)
class PollerGroupTest {
  private final List<Pipe> pipes = new ArrayList<>();
  private PollerGroup group;

  @AfterEach
  void close() throws IOException {
    if (group != null) {
      group.close();
    }
    for (Pipe p : pipes) {
      p.source().close();
      p.sink().close();
    }
  }

  private PollerGroup start(int n, long budget) throws IOException {
    group = PollerGroup.start("test-poller", n, Duration.ZERO, ConnectionOptions.defaults(), new InboundBudget(budget), false);
    return group;
  }

  private record Registered(Poller poller, SelectionKey key) {}

  /** Registers a new channel with the poller the group gives, as an accept does. */
  private Registered registerNext() throws IOException {
    Pipe pipe = Pipe.open();
    pipes.add(pipe);
    pipe.source().configureBlocking(false);
    Poller poller = group.next().poller();
    return new Registered(poller, poller.register(pipe.source()));
  }

  @Test
  void newConnectionsSpreadEvenlyOverThePollers() throws IOException {
    start(3, Long.MAX_VALUE);
    for (int i = 0; i < 9; i++) {
      registerNext();
    }
    assertArrayEquals(new int[] {3, 3, 3}, group.loads());
  }

  @Test
  void aPollerWhoseConnectionsClosedTakesTheNextOnes() throws IOException {
    start(3, Long.MAX_VALUE);
    List<Registered> all = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      all.add(registerNext());
    }
    // Close both connections of the second registration's poller, on its thread as a close does.
    Poller emptied = all.get(1).poller();
    List<SelectionKey> its = all.stream().filter(r -> r.poller() == emptied).map(Registered::key).toList();
    assertEquals(2, its.size());
    for (SelectionKey key : its) {
      emptied.closing(); // as a connection's close does, before its key is cancelled
      emptied.execute(key::cancel);
    }
    assertEquals(0, emptied.load());

    assertEquals(emptied, registerNext().poller());
    assertEquals(emptied, registerNext().poller(), "both new connections go to the emptied poller");
    assertArrayEquals(new int[] {2, 2, 2}, group.loads());
  }

  @Test
  void theInboundBudgetIsOneForAllPollers() throws IOException {
    int size = ConnectionOptions.defaults().readBufferSize();
    start(2, 4L * size);
    BufferPool first = group.next().pools().read();
    BufferPool second = group.next().pools().read();
    List<ByteBuffer> taken = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ByteBuffer b = first.takeCharged();
      assertNotNull(b);
      taken.add(b);
    }
    assertNull(first.takeCharged(), "the budget is spent");
    assertNull(second.takeCharged(), "another poller's pool charges the same budget");
    first.giveCharged(taken.removeFirst());
    assertNotNull(second.takeCharged(), "what one poller gave back, another may take");
    assertEquals(4L * size, second.charged());
  }

  @Test
  void aGroupHasAtLeastOnePoller() {
    assertThrows(IllegalArgumentException.class,
        () -> PollerGroup.start("test-poller", 0, Duration.ZERO, ConnectionOptions.defaults(), new InboundBudget(1), false));
  }
}
