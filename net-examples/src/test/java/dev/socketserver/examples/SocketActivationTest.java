package dev.socketserver.examples;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Connection;
import dev.socketserver.api.ConnectionOptions;
import dev.socketserver.api.Datagram;
import dev.socketserver.api.testing.ActivatedProcess;
import dev.socketserver.tcp.TcpClient;
import dev.socketserver.udp.UdpClient;
import dev.socketserver.unix.UnixClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code echo --inherited}, {@code unix-echo --inherited} and {@code udp-echo --inherited} started by
 * {@code systemd-socket-activate} (Debian's systemd package) exactly as systemd starts a service:
 * the listening socket on descriptor 3, {@code LISTEN_FDS=1}, and no launcher trick to move it.
 * The example runs as {@code ./run} runs it (module path, native access for net-unix).
 */
@Timeout(90)
class SocketActivationTest {
  @TempDir Path dir;

  private static ActivatedProcess activate(String address, String... args) throws IOException {
    return ActivatedProcess.activate(address, Loopback.exampleCommand(args));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void echoInheritedServesTheTcpSocketSystemdPassesOnDescriptor3() throws Exception {
    int port = freePort();
    try (ActivatedProcess p = activate("127.0.0.1:" + port, "echo", "--inherited")) {
      try (Connection c = ActivatedProcess.whenListening(() -> TcpClient.connect(
          new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
          Loopback.PATIENCE,
          ConnectionOptions.defaults().withReadTimeout(Loopback.PATIENCE)))) {
        String greeting = c.readLine(200);
        assertTrue(greeting != null && greeting.startsWith("Connection 127.0.0.1:" + port + " at "), greeting);
        Loopback.send(c, "activated\n");
        assertEquals("activated", c.readLine(200));
      }
      p.terminate();
      String out = p.exits(0);
      assertTrue(out.contains("server is running ....") && out.contains("echo: listening on 127.0.0.1:" + port)
          && out.contains("SIGTERM: shutting down"), out);
    }
  }

  @Test
  void unixEchoInheritedServesTheSocketFileSystemdPasses() throws Exception {
    Path socket = dir.resolve("echo.sock");
    try (ActivatedProcess p = activate(socket.toString(), "unix-echo", "--inherited")) {
      try (Connection c = ActivatedProcess.whenListening(() -> UnixClient.connect(
          UnixDomainSocketAddress.of(socket), ConnectionOptions.defaults().withReadTimeout(Loopback.PATIENCE)))) {
        Loopback.send(c, "activated\n");
        assertEquals("activated", c.readLine(200));
      }
      p.terminate();
      String out = p.exits(0);
      assertTrue(out.contains("unix-echo: listening on " + socket), out);
    }
  }

  @Test
  void echoGivenAUnixSocketSaysToServeItWithUnixStreamServer() throws Exception {
    Path socket = dir.resolve("wrong.sock");
    try (ActivatedProcess p = activate(socket.toString(), "echo", "--inherited");
        Connection _ = ActivatedProcess.whenListening(() -> UnixClient.connect(socket))) {
      String out = p.exits(1);
      assertTrue(out.contains("is a Unix-domain socket") && out.contains("UnixStreamServer.builder().inheritedChannel()"),
          out);
    }
  }

  @Test
  void udpEchoInheritedServesTheUdpSocketSystemdPassesOnDescriptor3() throws Exception {
    int port = freeUdpPort();
    List<String> command = new ArrayList<>(Loopback.exampleCommand("udp-echo", "--inherited"));
    command.add(1, "-Djava.net.preferIPv4Stack=true"); // an IPv4 socket: see UdpServer.Builder.inheritedChannel
    try (ActivatedProcess p = ActivatedProcess.activateDatagram("127.0.0.1:" + port, command);
        UdpClient client = UdpClient.open()) {
      p.awaitListening();
      // this datagram starts the example, and waits in the socket until it serves it
      Datagram reply = client.request(
          new InetSocketAddress(InetAddress.getLoopbackAddress(), port), "activated".getBytes(UTF_8), Duration.ofSeconds(60));
      assertEquals("activated", new String(reply.bytes(), UTF_8));
      p.terminate();
      String out = p.exits(0);
      assertTrue(out.contains("udp-echo: listening on 127.0.0.1:" + port) && out.contains("SIGTERM: shutting down"), out);
    }
  }

  @Test
  void udpEchoGivenAStreamSocketSaysToServeItWithTcpServer() throws Exception {
    int port = freePort();
    try (ActivatedProcess p = activate("127.0.0.1:" + port, "udp-echo", "--inherited");
        Connection _ = ActivatedProcess.whenListening(() -> TcpClient.connect(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), port), Loopback.PATIENCE))) {
      String out = p.exits(1);
      assertTrue(out.contains("is a stream socket (from ListenStream=)")
          && out.contains("TcpServer.builder().inheritedChannel()") && out.contains("ListenDatagram="), out);
    }
  }

  private static int freeUdpPort() throws IOException {
    try (java.net.DatagramSocket s = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
