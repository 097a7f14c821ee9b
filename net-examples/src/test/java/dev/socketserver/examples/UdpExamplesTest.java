package dev.socketserver.examples;

import static dev.socketserver.examples.Loopback.args;
import static dev.socketserver.examples.Loopback.argsFor;
import static dev.socketserver.examples.Loopback.port;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Server;
import java.io.ByteArrayInputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** udp-echo and udp-client, in-process on loopback port 0. */
@Timeout(20)
class UdpExamplesTest {
  private final Loopback.Captured out = new Loopback.Captured();

  private void client(String stdin, String... clientArgs) throws Exception {
    UdpClientExample.run(
        UdpClientExample.OPTIONS.parse(clientArgs),
        new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
        out);
  }

  @Test
  void theClientPrintsEachLineTheEchoServerSendsBack() throws Exception {
    Loopback.Captured serverOut = new Loopback.Captured();
    int port;
    try (Server server = UdpEcho.server(UdpEcho.OPTIONS.parse(args()), serverOut).start()) {
      port = port(server);
      client("hello\n\nélan\n", argsFor(server, "--timeout", "10"));
    }
    assertEquals(List.of("hello", "", "élan"), out.lines());
    List<String> logged = serverOut.lines();
    assertEquals("udp-echo: listening on 127.0.0.1:" + port, logged.get(0));
    assertTrue(logged.get(1).matches("Got 5 bytes from 127\\.0\\.0\\.1:\\d+"), logged.get(1));
    assertEquals(4, logged.size(), logged::toString);
  }

  @Test
  void theClientSaysSoWhenNoReplyComes() throws Exception {
    try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 0))) {
      client("anyone?\n",
          "--host", "127.0.0.1", "--port", Integer.toString(silent.getLocalPort()), "--timeout", "0.05");
    }
    assertEquals(1, out.lines().size(), out.lines()::toString);
    assertTrue(out.lines().get(0).startsWith("(no reply from 127.0.0.1:"), out.lines().get(0));
  }
}
