package dev.socketserver.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.testing.SupervisorProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code Concurrency.processes(2)} over UDP, end to end, with the supervisor in a child process. */
@Timeout(120)
class UdpProcessesTest {

  @Test
  void twoHundredClientsAreAllAnsweredAndSpreadOverBothWorkers() throws Exception {
    try (SupervisorProcess s = new SupervisorProcess(UdpProcessServerMain.class)) {
      var server = new InetSocketAddress(InetAddress.getLoopbackAddress(), s.port());
      Set<String> seen = ConcurrentHashMap.newKeySet();
      for (int i = 0; i < 200; i++) {
        // A new socket each time: the kernel spreads datagrams by their source port.
        try (UdpClient client = UdpClient.open()) {
          byte[] reply = client.request(server, "who".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10))
              .bytes();
          seen.add(new String(reply, StandardCharsets.UTF_8));
        }
      }
      assertEquals(Set.of("0", "1"), seen, "both workers answered");
      s.awaitMetrics("200 \\d+ 200 0"); // accepted active completed failed, summed over the workers
      assertEquals(0, s.closeServer());
    }
  }

  @Test
  void processesCannotJoinMulticastGroups() throws Exception {
    var e = assertThrows(IllegalStateException.class, () -> UdpServer.builder()
        .bind(0)
        .joinGroup(InetAddress.ofLiteral("239.1.2.3"), NetworkInterface.getByInetAddress(InetAddress.getLoopbackAddress()))
        .concurrency(Concurrency.processes(2))
        .handler(d -> {})
        .build());
    assertTrue(e.getMessage().contains("multicast"), e.getMessage());
  }
}
