package dev.socketserver.tcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Connection;
import dev.socketserver.api.testing.ActivatedProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Socket activation of a TCP server without net-unix: descriptor 0 (inetd, systemd's
 * {@code StandardInput=socket}) is served by the JDK alone; systemd's descriptor 3 needs net-unix,
 * and the build says so. Serving descriptor 3 directly is tested where net-unix is present: the
 * examples' {@code SocketActivationTest}.
 */
@Timeout(90)
class SocketActivationTest {
  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static Connection connect(int port) throws Exception {
    return ActivatedProcess.whenListening(() -> TcpClient.connect("127.0.0.1", port, Duration.ofSeconds(5)));
  }

  @Test
  void aServerGivenTheSocketAsStandardInputServesIt() throws Exception {
    int port = freePort();
    try (ActivatedProcess p = ActivatedProcess.activate("127.0.0.1:" + port, ActivatedServer.class, " <&3");
        Connection c = connect(port)) { // this connection triggers the start
      c.output().write("activated\n".getBytes(UTF_8));
      String reply = c.readLine(200);
      assertTrue(reply != null && reply.startsWith("pid ") && reply.endsWith(" activated"), reply);
      p.exits(0);
    }
  }

  @Test
  void withoutNetUnixTheBuildSaysWhatAdoptingDescriptor3Needs() throws Exception {
    int port = freePort();
    try (ActivatedProcess p = ActivatedProcess.activate("127.0.0.1:" + port, ActivatedServer.class, "");
        Connection _ = connect(port)) {
      String out = p.exits(2);
      assertTrue(out.contains("LISTEN_FDS=1") && out.contains("dev.socketserver.unix")
          && out.contains("StandardInput=socket"), out);
    }
  }
}
