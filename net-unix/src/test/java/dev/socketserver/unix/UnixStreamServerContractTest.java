package dev.socketserver.unix;

import dev.socketserver.api.Connection;
import dev.socketserver.api.Server;
import dev.socketserver.api.StreamServerBuilder;
import dev.socketserver.api.testing.StreamReliabilityContract;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** The stream-server contract and its reliability part over Unix-domain stream sockets, one poller. */
class UnixStreamServerContractTest extends StreamReliabilityContract {
  @TempDir Path dir;
  private final AtomicInteger servers = new AtomicInteger();

  @Override
  protected StreamServerBuilder<?> newBuilder() {
    return UnixStreamServer.builder().bind(dir.resolve("s" + servers.incrementAndGet() + ".sock")).pollers(1);
  }

  @Override
  protected StreamServerBuilder<?> newBuilder(SocketAddress address) {
    return UnixStreamServer.builder().bind((UnixDomainSocketAddress) address).pollers(1);
  }

  @Override
  protected Connection connect(Server server) throws IOException {
    return UnixClient.connect(((UnixDomainSocketAddress) server.localAddress()).getPath());
  }

  /** AF_UNIX has no reset: a client's abrupt close is an orderly end of stream to the server. */
  @Override
  protected boolean canReset() {
    return false;
  }

  @Override
  protected void reset(Connection c) throws IOException {
    c.close();
  }

  /** Refused while the socket file still exists; once it is removed, there is nothing to connect to. */
  @Override
  protected boolean isRefusal(IOException e) {
    return e instanceof ConnectException || String.valueOf(e.getMessage()).contains("No such file");
  }
}
