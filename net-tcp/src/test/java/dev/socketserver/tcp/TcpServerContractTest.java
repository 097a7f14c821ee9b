package dev.socketserver.tcp;

import dev.socketserver.api.Connection;
import dev.socketserver.api.Server;
import dev.socketserver.api.StreamServerBuilder;
import dev.socketserver.api.testing.StreamReliabilityContract;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;

/**
 * The stream-server contract and its reliability part over TCP on IPv4 loopback, with three
 * pollers whatever the machine's cores: deadlines, drain, limits, the budget and the counters
 * must hold across pollers (the Unix stream contract runs with one).
 */
class TcpServerContractTest extends StreamReliabilityContract {
  private static final int POLLERS = 3;

  @Override
  protected StreamServerBuilder<?> newBuilder() {
    return TcpServer.builder().bind("127.0.0.1", 0).pollers(POLLERS);
  }

  @Override
  protected StreamServerBuilder<?> newBuilder(SocketAddress address) {
    return TcpServer.builder().bind((InetSocketAddress) address).pollers(POLLERS);
  }

  @Override
  protected Connection connect(Server server) throws IOException {
    return TcpClient.connect((InetSocketAddress) server.localAddress(), Duration.ofSeconds(10));
  }

  @Override
  protected boolean isRefusal(IOException e) {
    return e instanceof ConnectException;
  }
}
