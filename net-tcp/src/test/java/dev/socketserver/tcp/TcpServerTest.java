package dev.socketserver.tcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Connection;
import dev.socketserver.api.testing.Await;
import dev.socketserver.api.testing.Descriptors;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What is particular to TCP: binding, address families, descriptors, threads. */
@Timeout(60)
class TcpServerTest {

  private static int port(TcpServer server) {
    return server.localAddress().getPort();
  }

  @Test
  void bindingAPortInUseFailsWithTheAddressAndAFix() throws Exception {
    try (ServerSocket holder = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      BindException e = assertThrows(BindException.class, () -> TcpServer.builder()
          .bind("127.0.0.1", holder.getLocalPort())
          .reuseAddress(false)
          .handler(c -> {})
          .build());
      assertTrue(e.getMessage().contains("127.0.0.1:" + holder.getLocalPort()), e.getMessage());
      assertTrue(e.getMessage().contains("port 0"), e.getMessage());
    }
  }

  @Test
  void failedBindsLeakNoDescriptor() throws Exception {
    try (ServerSocket holder = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      var builder = TcpServer.builder().bind("127.0.0.1", holder.getLocalPort()).handler(c -> {});
      long before = Descriptors.open();
      for (int i = 0; i < 1024; i++) {
        assertThrows(BindException.class, builder::build);
      }
      assertEquals(before, Descriptors.open());
    }
  }

  @Test
  void rejectsAnInvalidPortWithItsValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TcpServer.builder().bind("127.0.0.1", 70000));
    assertTrue(e.getMessage().contains("70000"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TcpServer.builder().backlog(0));
  }

  @Test
  void aMissingAddressFailsTheBuild() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> TcpServer.builder().handler(c -> {}).build());
    assertTrue(e.getMessage().contains("bind"), e.getMessage());
  }

  @Test
  void servesOverIpv6Loopback() throws Exception {
    InetAddress v6 = InetAddress.ofLiteral("::1");
    try (TcpServer server = TcpServer.builder().bind(new InetSocketAddress(v6, 0))
        .handler(c -> c.output().write((c.remoteAddress() + "\n").getBytes(UTF_8))).build().start()) {
      assertTrue(server.localAddress().getAddress() instanceof Inet6Address);
      try (Connection c = TcpClient.connect(new InetSocketAddress(v6, port(server)), Duration.ofSeconds(5))) {
        assertTrue(c.readLine(200).contains("0:0:0:0:0:0:0:1"));
      }
    }
  }

  @Test
  void aWildcardServerIsDualStack() throws Exception {
    try (TcpServer server = TcpServer.builder().bind(0).handler(c -> c.output().write('!')).build().start()) {
      for (String host : new String[] {"127.0.0.1", "::1"}) {
        try (Connection c = TcpClient.connect(host, port(server), Duration.ofSeconds(5))) {
          assertEquals('!', c.input().read());
        }
      }
    }
  }

  @Test
  void connectingToNothingNamesTheAddress() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    ConnectException e = assertThrows(ConnectException.class,
        () -> TcpClient.connect("127.0.0.1", port, Duration.ofSeconds(5)));
    assertTrue(e.getMessage().contains(":" + port), e.getMessage());
  }

  @Test
  void handlerThreadsAreNotRetainedAfterRequestsFinish() throws Exception {
    int baseline = Thread.activeCount();
    try (TcpServer server = TcpServer.builder().bind("127.0.0.1", 0)
        .concurrency(Concurrency.platformThreads())
        .handler(c -> c.output().write('.')).build().start()) {
      for (int i = 0; i < 1000; i++) {
        try (Connection c = TcpClient.connect("127.0.0.1", port(server), Duration.ofSeconds(5))) {
          assertEquals('.', c.input().read());
        }
      }
      // The serving and poller threads stay while the server runs; handler threads must not.
      Await.until("handler threads gone", Duration.ofSeconds(10), () -> Thread.activeCount() <= baseline + 3);
    }
    Await.until("server threads gone", Duration.ofSeconds(10), () -> Thread.activeCount() <= baseline + 1);
  }

  @Test
  void anInheritedChannelThatIsNotAListenerFailsClearly() {
    IOException e = assertThrows(IOException.class,
        () -> TcpServer.builder().inheritedChannel().handler(c -> {}).build());
    assertTrue(e.getMessage().contains("inherited"), e.getMessage());
  }
}
