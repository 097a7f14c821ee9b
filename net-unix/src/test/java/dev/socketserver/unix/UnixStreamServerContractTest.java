package dev.socketserver.unix;

import dev.socketserver.api.Connection;
import dev.socketserver.api.Server;
import dev.socketserver.api.StreamServerBuilder;
import dev.socketserver.api.testing.StreamServerContract;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** The stream-server contract over Unix-domain stream sockets. */
class UnixStreamServerContractTest extends StreamServerContract {
  @TempDir Path dir;
  private final AtomicInteger servers = new AtomicInteger();

  @Override
  protected StreamServerBuilder<?> newBuilder() {
    return UnixStreamServer.builder().bind(dir.resolve("s" + servers.incrementAndGet() + ".sock"));
  }

  @Override
  protected Connection connect(Server server) throws IOException {
    return UnixClient.connect(((UnixDomainSocketAddress) server.localAddress()).getPath());
  }
}
