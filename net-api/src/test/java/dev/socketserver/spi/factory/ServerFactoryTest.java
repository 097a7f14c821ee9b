package dev.socketserver.spi.factory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Server;
import dev.socketserver.api.ServerBuilder;
import dev.socketserver.spi.AbstractServerBuilder;
import dev.socketserver.spi.Acceptor;
import dev.socketserver.spi.ForwardingServer;
import dev.socketserver.spi.Traffic;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A transport written as one outside this repository would be, against the exported SPI only (an
 * abstract builder, an acceptor, {@link ServerFactory}, {@link ForwardingServer}): its requests
 * come from an in-memory queue, no socket.
 */
@Timeout(30)
class ServerFactoryTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** A request of the queue transport. */
  record Message(String text, CountDownLatch finished) {
    Message(String text) {
      this(text, new CountDownLatch(1));
    }
  }

  /** The transport's own server type. */
  static final class QueueServer extends ForwardingServer {
    QueueServer(Server core) {
      super(core);
    }
  }

  /** The transport's builder: every common option inherited, nothing of its own. */
  static final class Builder extends AbstractServerBuilder<Message, Builder>
      implements ServerBuilder<Message, Builder> {
    final QueueAcceptor acceptor = new QueueAcceptor();

    @Override
    public QueueServer build() throws IOException {
      return ServerFactory.create("queue", settings(), acceptor::open, QueueServer::new);
    }
  }

  /** Accepts what is put in its queue. */
  static final class QueueAcceptor implements Acceptor<Message> {
    private static final Message WAKE = new Message("");
    final BlockingQueue<Message> queue = new LinkedBlockingQueue<>();
    final CountDownLatch listenerClosed = new CountDownLatch(1);
    final CountDownLatch terminated = new CountDownLatch(1);
    volatile @Nullable Server attached;
    private volatile @Nullable Traffic traffic;

    QueueAcceptor open(Traffic counts) {
      this.traffic = counts;
      return this;
    }

    @Override
    public void attach(Server server) {
      attached = server;
    }

    @Override
    public @Nullable Message accept(long timeoutNanos) throws IOException {
      Message m;
      try {
        m = timeoutNanos < 0 ? queue.take() : queue.poll(timeoutNanos, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while accepting");
      }
      if (m == null || WAKE.equals(m)) { // a record holding its own latch: equal to itself only
        return null;
      }
      Traffic t = traffic;
      if (t != null) {
        t.read(m.text().length());
      }
      return m;
    }

    @Override
    public void wakeup() {
      queue.add(WAKE);
    }

    @Override
    public SocketAddress localAddress() {
      return UnixDomainSocketAddress.of("queue");
    }

    @Override
    public String describe(Message request) {
      return request.text();
    }

    @Override
    public void finish(Message request) {
      request.finished().countDown();
    }

    @Override
    public void abort(Message request) {
      request.finished().countDown();
    }

    @Override
    public void closeListener() {
      listenerClosed.countDown();
    }

    @Override
    public void terminated() {
      terminated.countDown();
    }
  }

  @Test
  void aTransportBuiltOnTheSpiServesAndCountsAndKnowsItsServerAndIsClosedOnce() throws Exception {
    Builder builder = new Builder();
    CompletableFuture<String> handled = new CompletableFuture<>();
    QueueAcceptor acceptor = builder.acceptor;
    QueueServer server = builder.handler(m -> handled.complete(m.text())).build();
    assertSame(server, acceptor.attached, "the acceptor is told the wrapper build() returned");
    assertEquals(Server.State.NEW, server.state());
    server.start();
    Message hello = new Message("hello");
    acceptor.queue.add(hello);
    assertEquals("hello", handled.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertTrue(hello.finished().await(WAIT.toSeconds(), TimeUnit.SECONDS), "finished after its handler");
    assertEquals(5, server.metrics().bytesRead(), "counted through the Traffic it was given");
    server.close();
    assertEquals(Server.State.TERMINATED, server.state());
    assertEquals(0, acceptor.listenerClosed.getCount());
    assertEquals(0, acceptor.terminated.getCount());
    assertInstanceOf(UnixDomainSocketAddress.class, server.localAddress());
  }
}
