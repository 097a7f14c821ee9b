package dev.socketserver.examples;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.udp.UdpServer;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** udp-echo and udp-client, in-process on loopback port 0. */
@Timeout(30)
class UdpExamplesTest {
  private static final InetAddress LOOPBACK = InetAddress.ofLiteral("127.0.0.1");

  @Test
  void theClientPrintsEachLineTheEchoServerSendsBack() throws Exception {
    ByteArrayOutputStream serverLog = new ByteArrayOutputStream();
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (UdpServer server =
        UdpEcho.server(new InetSocketAddress(LOOPBACK, 0), new PrintStream(serverLog, true, UTF_8)).start()) {
      UdpClientExample.run(
          new BufferedReader(new StringReader("hello\n\nélan\n")),
          new PrintStream(printed, true, UTF_8),
          (InetSocketAddress) server.localAddress(),
          Duration.ofSeconds(10));
    }
    assertEquals("hello\n\nélan\n", printed.toString(UTF_8));
    assertTrue(serverLog.toString(UTF_8).startsWith("UDP echo server on /127.0.0.1:"), serverLog.toString(UTF_8));
    assertTrue(serverLog.toString(UTF_8).contains("Got 5 bytes from /127.0.0.1:"), serverLog.toString(UTF_8));
  }

  @Test
  void theClientSaysSoWhenNoReplyComes() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
      UdpClientExample.run(
          new BufferedReader(new StringReader("anyone?\n")),
          new PrintStream(printed, true, UTF_8),
          (InetSocketAddress) silent.getLocalSocketAddress(),
          Duration.ofMillis(50));
    }
    assertTrue(printed.toString(UTF_8).startsWith("(no reply from "), printed.toString(UTF_8));
  }

  @Test
  void badArgumentsShowTheUsage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> UdpExampleArgs.address(new String[] {"--port", "x"}, "udp-echo"));
    assertTrue(e.getMessage().contains("usage: ./run udp-echo"), e.getMessage());
    assertEquals(3130, UdpExampleArgs.address(new String[0], "udp-client").getPort());
  }
}
