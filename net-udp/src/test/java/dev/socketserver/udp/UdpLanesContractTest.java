package dev.socketserver.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.DatagramServerBuilder;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The datagram-server contract again, over three SO_REUSEPORT sockets (pollers(3)), each received
 * from by a lane thread of its own: the lifecycle, limit, drain and replies must hold as with one.
 */
class UdpLanesContractTest extends UdpServerContractTest {
  private static final int POLLERS = 3;

  @Override
  protected DatagramServerBuilder<?> newBuilder() {
    return ((UdpServer.Builder) super.newBuilder()).pollers(POLLERS);
  }

  @Override
  protected DatagramServerBuilder<?> newBuilder(SocketAddress address) {
    return ((UdpServer.Builder) super.newBuilder(address)).pollers(POLLERS);
  }

  @Test
  @Timeout(30)
  void manyClientsAreAnsweredFromTheServersAddressOverItsSockets() throws Exception {
    try (UdpServer server = UdpServer.builder().bind("127.0.0.1", 0).pollers(POLLERS)
        .handler(d -> d.reply(d.payload())).build().start()) {
      assertEquals(POLLERS, socketsOn(server.localAddress().getPort()), "sockets bound to the port");
      // Every socket of the group is the server's: the kernel's drops are found and summed.
      assertTrue(server.kernelDrops().isPresent(), "the " + POLLERS + " sockets are found in /proc/net/udp");
      List<UdpClient> clients = new ArrayList<>();
      try {
        for (int i = 0; i < 24; i++) { // senders spread over the sockets by their address
          clients.add(UdpClient.open(new java.net.InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 0)));
        }
        for (int round = 0; round < 3; round++) {
          for (int i = 0; i < clients.size(); i++) {
            byte[] m = ("client " + i + " round " + round).getBytes(StandardCharsets.UTF_8);
            clients.get(i).send(server.localAddress(), java.nio.ByteBuffer.wrap(m));
          }
          for (int i = 0; i < clients.size(); i++) {
            var reply = clients.get(i).receive(Duration.ofSeconds(10));
            assertEquals("client " + i + " round " + round, new String(reply.bytes(), StandardCharsets.UTF_8));
            assertEquals(server.localAddress(), reply.sender());
          }
        }
      } finally {
        for (UdpClient c : clients) {
          c.close();
        }
      }
      // Counted just after each send, so the last count may trail the last reply received.
      dev.socketserver.api.testing.Await.until("72 replies counted", Duration.ofSeconds(10),
          () -> server.metrics().replies() == 72);
    }
  }

  /** The UDP sockets bound to {@code port} on this machine, from Linux's table. */
  private static long socketsOn(int port) throws java.io.IOException {
    String local = String.format(java.util.Locale.ROOT, ":%04X", port);
    try (var lines = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/net/udp"))) {
      return lines.skip(1).map(l -> l.trim().split("\\s+")[1]).filter(a -> a.endsWith(local)).count();
    }
  }

  @Test
  void severalSocketsCannotJoinAMulticastGroup() throws Exception {
    var builder = UdpServer.builder().bind(0).pollers(2).handler(d -> {})
        .joinGroup(InetAddress.ofLiteral("239.1.2.3"), NetworkInterface.getByIndex(1));
    IllegalStateException e = assertThrows(IllegalStateException.class, builder::build);
    assertTrue(e.getMessage().contains("each socket would receive every datagram of a group"), e.getMessage());
  }
}
