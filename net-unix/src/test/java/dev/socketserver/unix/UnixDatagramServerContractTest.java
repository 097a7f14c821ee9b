package dev.socketserver.unix;

import dev.socketserver.api.DatagramServerBuilder;
import dev.socketserver.api.Server;
import dev.socketserver.api.testing.DatagramServerContract;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** The datagram-server contract over Unix-domain datagram sockets (FFM). */
class UnixDatagramServerContractTest extends DatagramServerContract {
  @TempDir Path dir;
  private final AtomicInteger servers = new AtomicInteger();

  @Override
  protected DatagramServerBuilder<?> newBuilder() {
    return UnixDatagramServer.builder().bind(dir.resolve("d" + servers.incrementAndGet() + ".sock"));
  }

  @Override
  protected DatagramServerBuilder<?> newBuilder(SocketAddress address) {
    return UnixDatagramServer.builder().bind((UnixDomainSocketAddress) address); // the contract rebinds a file
  }

  @Override
  protected int maxPayload() {
    return DatagramServerBuilder.MAX_UDP_PAYLOAD; // the builder's default maximum
  }

  @Override
  protected Client client(Server server) throws IOException {
    UnixDatagramClient unix = UnixClient.datagram(server.localAddress());
    return Client.of(unix::send, unix::receive, unix::close);
  }
}
