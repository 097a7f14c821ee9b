package dev.socketserver.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SocketBasicsTest {
  @Test
  void printsEveryTableRowAndTheLoopbackExchange() throws Exception {
    var out = new Loopback.Captured();
    SocketBasics.run(SocketBasics.OPTIONS.parse(), out);
    String text = String.join("\n", out.lines());
    for (String expected :
        List.of(
            "socket.gethostbyname('localhost')",
            "socket.getfqdn()",
            "sock.bind(('127.0.0.1', 0)); sock.listen(5)",
            "conn, addr = sock.accept()",
            "-> 'ping'",
            "-> 'pong'",
            "channel.setOption(TCP_NODELAY, true); getOption -> true",
            "connection.option(TCP_NODELAY) -> true",
            "System.inheritedChannel() -> ",
            "TcpServer.builder().inheritedChannel()")) {
      assertTrue(text.contains(expected), () -> "no '" + expected + "' in:\n" + text);
    }
  }
}
