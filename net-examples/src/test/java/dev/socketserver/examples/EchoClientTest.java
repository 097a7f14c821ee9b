package dev.socketserver.examples;

import static dev.socketserver.examples.Loopback.args;
import static dev.socketserver.examples.Loopback.argsFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Server;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The seed's interactive client, driven by a piped stdin against the echo server. */
@Timeout(20)
class EchoClientTest {
  private final Loopback.Captured out = new Loopback.Captured();

  private List<String> session(String stdin, String... serverArgs) throws Exception {
    try (Server server = Echo.server(Echo.OPTIONS.parse(args(serverArgs)), new Loopback.Captured()).start()) {
      EchoClient.run(
          EchoClient.OPTIONS.parse(argsFor(server)),
          new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
          out);
      return out.lines();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"\n", "exit\n", ""})
  void printsTheGreetingAndEachEchoUntilAnEmptyLineExitOrEndOfInput(String end) throws Exception {
    List<String> lines = session("hello\n  who is u?  \r\n" + end + "not sent\n");
    if (end.isEmpty()) { // end of input comes after "not sent"
      assertEquals(4, lines.size(), lines::toString);
      assertEquals("not sent", lines.get(3));
    } else {
      assertEquals(3, lines.size(), lines::toString);
    }
    assertTrue(lines.get(0).matches("Connection 127\\.0\\.0\\.1:\\d+ at .+ succeed!"), lines.get(0));
    assertEquals(List.of("hello", "who is u?"), lines.subList(1, 3)); // printed stripped, like data.strip()
  }

  @Test
  void saysSoWhenTheServerClosesInsteadOfGreeting() throws Exception {
    // The hello server writes one line and closes: the "greeting", then nothing to echo.
    try (Server server = Hello.server(Hello.OPTIONS.parse(args()), new Loopback.Captured()).start()) {
      EchoClient.run(
          EchoClient.OPTIONS.parse(argsFor(server)),
          new ByteArrayInputStream("anyone?\n".getBytes(StandardCharsets.UTF_8)),
          out);
    }
    assertEquals(List.of("Hello world!", "(the server closed the connection)"), out.lines());
  }
}
