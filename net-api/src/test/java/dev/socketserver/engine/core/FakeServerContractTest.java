package dev.socketserver.engine.core;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.Server;
import dev.socketserver.api.ServerBuilder;
import dev.socketserver.api.testing.ServerContract;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The server contract, lifecycle and requests, run against the {@link ServerCore} over an
 * in-memory {@link FakeAcceptor}: what every transport's server does, checked in milliseconds
 * with no socket. A request is a message exchange like a line connection: the echo handler
 * answers each message until the client ends its stream.
 */
class FakeServerContractTest extends ServerContract<FakeAcceptor.Request> {

  /** The lanes the servers accept on; see {@link FakeLanesContractTest}. */
  protected int lanes() {
    return 1;
  }

  @Override
  protected ServerBuilder<FakeAcceptor.Request, ?> newBuilder() {
    return new FakeServerBuilder(lanes());
  }

  @Override
  protected ServerBuilder<FakeAcceptor.Request, ?> newBuilder(SocketAddress address) throws IOException {
    return new FakeServerBuilder(address, lanes());
  }

  @Override
  protected RequestHandler<FakeAcceptor.Request> echoHandler() {
    return r -> {
      for (String m; (m = r.read()) != null; ) {
        r.reply(m);
      }
    };
  }

  @Override
  protected Peer peer(Server server) throws IOException {
    FakeAcceptor.Request c = FakeServerBuilder.acceptorOf(server).connect();
    return new Peer() {
      @Override
      public void send(String message) throws IOException {
        c.send(message);
      }

      @Override
      public @Nullable String receive() throws IOException {
        return c.receive(TimeUnit.SECONDS.toNanos(10));
      }

      @Override
      public void finish() throws IOException {
        c.finish();
      }

      @Override
      public void assertEndedByServer() throws IOException {
        assertNull(c.receive(TimeUnit.SECONDS.toNanos(10)), "the server ended the request");
      }

      @Override
      public void close() {
        try {
          c.finish();
        } catch (IOException e) {
          // closed by the server already
        }
      }
    };
  }

  @Override
  protected String read(FakeAcceptor.Request request) throws IOException {
    String m = request.read();
    if (m == null) {
      throw new EOFException("the client ended the stream before its request");
    }
    return m;
  }

  @Override
  protected void reply(FakeAcceptor.Request request, String message) throws IOException {
    request.reply(message);
  }

  @Override
  protected Server serverOf(FakeAcceptor.Request request) {
    return request.server();
  }

  /** Reads what the client never sends: the read fails once the server closes the request. */
  @Override
  protected void blockInIo(FakeAcceptor.Request request) throws IOException {
    request.read();
  }

  /** The fake itself: a terminated server has released its acceptor. */
  @org.junit.jupiter.api.Test
  void aTerminatedServerHasReleasedItsAcceptor() throws Exception {
    CountDownLatch served = new CountDownLatch(1);
    // The handler reads the message first: a handler that ended at once could close the request
    // before the client sends, which the fake reports as a reset.
    Server server = newBuilder().handler(r -> {
      r.read();
      served.countDown();
    }).build().start();
    try (Peer p = peer(server)) {
      p.send("x");
      assertTrue(served.await(10, TimeUnit.SECONDS));
    }
    server.close();
    assertTrue(FakeServerBuilder.acceptorOf(server).isTerminated());
    assertTrue(FakeServerBuilder.acceptorOf(server).closed());
  }
}
