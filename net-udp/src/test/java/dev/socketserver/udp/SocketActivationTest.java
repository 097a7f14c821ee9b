package dev.socketserver.udp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.socketserver.api.Datagram;
import dev.socketserver.api.testing.ActivatedProcess;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Socket activation of a UDP server without net-unix ({@code ListenDatagram=}): a UDP socket on
 * descriptor 0 (inetd's {@code wait} style, systemd's {@code StandardInput=socket}) is served by
 * the JDK alone; systemd's descriptor 3 needs net-unix, and the build says so. Serving descriptor
 * 3 directly is tested where net-unix is present: the examples' {@code SocketActivationTest}.
 */
@Timeout(90)
class SocketActivationTest {
  private static int freePort() throws IOException {
    try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void aServerGivenTheUdpSocketAsStandardInputServesIt() throws Exception {
    int port = freePort();
    try (ActivatedProcess p = ActivatedProcess.activateDatagram(
            "127.0.0.1:" + port, ActivatedUdpServer.class, "-Djava.net.preferIPv4Stack=true", " <&3");
        UdpClient client = UdpClient.open()) {
      p.awaitListening();
      // this datagram starts the child, and waits in the socket until it serves it
      Datagram reply = client.request(
          new InetSocketAddress(InetAddress.getLoopbackAddress(), port), "activated".getBytes(UTF_8), Duration.ofSeconds(30));
      String text = new String(reply.bytes(), UTF_8);
      assertTrue(text.startsWith("pid ") && text.endsWith(" activated"), text);
      p.exits(0); // the JDK points standard output at /dev/null when it closes descriptor 0's channel
    }
  }

  @Test
  void anInheritedIpv4SocketTheJdkTakesForIpv6IsRefusedSayingWhy() throws Exception {
    try {
      DatagramChannel.open(StandardProtocolFamily.INET6).close();
    } catch (UnsupportedOperationException | IOException noIpv6) {
      assumeTrue(false, "no IPv6 here: the JDK takes an inherited socket for an IPv4 one");
    }
    String out = refusal(" <&3");
    assertTrue(out.contains("is an IPv4 socket") && out.contains("-Djava.net.preferIPv4Stack=true"), out);
  }

  @Test
  void withoutNetUnixTheBuildSaysWhatAdoptingDescriptor3Needs() throws Exception {
    String out = refusal("");
    assertTrue(out.contains("LISTEN_FDS=1") && out.contains("dev.socketserver.unix")
        && out.contains("StandardInput=socket"), out);
  }

  /**
   * Returns the output of a child started by a datagram on a {@code 127.0.0.1} socket (its
   * standard input if {@code redirect} is {@code " <&3"}) whose build fails.
   */
  private static String refusal(String redirect) throws Exception {
    int port = freePort();
    try (ActivatedProcess p = ActivatedProcess.activateDatagram("127.0.0.1:" + port, ActivatedUdpServer.class, redirect);
        UdpClient client = UdpClient.open()) {
      p.awaitListening();
      client.send(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), "start".getBytes(UTF_8));
      return p.exits(2);
    }
  }

  @Test
  void withNothingInheritedTheBuildSaysSoNamingListenDatagram() {
    // the test JVM's descriptor 0 is not a socket, and surefire sets no LISTEN_FDS
    IOException e = assertThrows(IOException.class, () -> UdpServer.builder().inheritedChannel()
        .handler(d -> {}).build());
    assertTrue(e.getMessage().contains("no inherited datagram socket")
        && e.getMessage().contains("ListenDatagram="), e.getMessage());
  }
}
