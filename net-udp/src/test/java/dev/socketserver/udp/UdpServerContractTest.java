package dev.socketserver.udp;

import dev.socketserver.api.DatagramServerBuilder;
import dev.socketserver.api.Server;
import dev.socketserver.api.testing.DatagramServerContract;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** The datagram-server contract over UDP on IPv4 loopback. */
class UdpServerContractTest extends DatagramServerContract {

  @Override
  protected DatagramServerBuilder<?> newBuilder() {
    return UdpServer.builder().bind("127.0.0.1", 0);
  }

  @Override
  protected DatagramServerBuilder<?> newBuilder(SocketAddress address) {
    return UdpServer.builder().bind((InetSocketAddress) address);
  }

  @Override
  protected int maxPayload() {
    return DatagramServerBuilder.MAX_UDP_PAYLOAD;
  }

  @Override
  protected Client client(Server server) throws IOException {
    InetSocketAddress to = (InetSocketAddress) server.localAddress();
    UdpClient udp = UdpClient.open(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 0));
    return Client.of(data -> udp.send(to, data), udp::receive, udp::close);
  }
}
