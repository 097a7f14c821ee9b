package dev.socketserver.unix;

import dev.socketserver.api.Datagram;
import dev.socketserver.api.DatagramServerBuilder;
import dev.socketserver.api.Server;
import dev.socketserver.api.testing.DatagramServerContract;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
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
  protected int maxPayload() {
    return DatagramServerBuilder.MAX_UDP_PAYLOAD; // the builder's default maximum
  }

  @Override
  protected Client client(Server server) throws IOException {
    UnixDatagramClient unix = UnixClient.datagram(server.localAddress());
    return new Client() {
      @Override
      public void send(byte[] data) throws IOException {
        unix.send(data);
      }

      @Override
      public Datagram receive(Duration timeout) throws IOException {
        return unix.receive(timeout);
      }

      @Override
      public void close() throws IOException {
        unix.close();
      }
    };
  }
}
