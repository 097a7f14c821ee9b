package dev.socketserver.engine.core;

import dev.socketserver.api.Server;
import dev.socketserver.api.ServerBuilder;
import dev.socketserver.spi.AbstractServerBuilder;
import dev.socketserver.spi.factory.ServerFactory;
import java.io.IOException;
import java.net.BindException;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds a {@link ServerCore} over a {@link FakeAcceptor}: a whole server, lifecycle, limit,
 * dispatch and drain, with no socket. Addresses are fake and bound in this JVM only; binding one
 * whose server still listens fails as a real bind would. Not thread-safe, like every builder.
 */
final class FakeServerBuilder extends AbstractServerBuilder<FakeAcceptor.Request, FakeServerBuilder>
    implements ServerBuilder<FakeAcceptor.Request, FakeServerBuilder> {
  private static final Map<SocketAddress, FakeAcceptor> BOUND = new ConcurrentHashMap<>();

  private final FakeAcceptor acceptor;

  FakeServerBuilder() {
    this.acceptor = new FakeAcceptor();
  }

  /** A builder whose server accepts on {@code lanes} lanes (see {@link FakeAcceptor}). */
  FakeServerBuilder(int lanes) {
    this.acceptor = new FakeAcceptor(
        java.net.InetSocketAddress.createUnresolved("fake", FakeAcceptor.nextPort()), lanes);
  }

  /** A builder bound to {@code address}, where an earlier fake server was bound. */
  FakeServerBuilder(SocketAddress address, int lanes) throws IOException {
    FakeAcceptor old = BOUND.get(address);
    if (old != null && !old.closed()) {
      throw new BindException("address in use: " + address);
    }
    this.acceptor = new FakeAcceptor(address, lanes);
  }

  /** Returns the acceptor of the server {@code server}, built by this class. */
  static FakeAcceptor acceptorOf(Server server) {
    FakeAcceptor a = BOUND.get(server.localAddress());
    if (a == null) {
      throw new IllegalArgumentException("not a fake server: " + server);
    }
    return a;
  }

  @Override
  public Server build() throws IOException {
    BOUND.put(acceptor.localAddress(), acceptor);
    return ServerFactory.create("fake " + acceptor.localAddress(), settings(), counters -> acceptor);
  }
}
