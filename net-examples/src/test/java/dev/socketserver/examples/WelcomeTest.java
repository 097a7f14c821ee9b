package dev.socketserver.examples;

import static dev.socketserver.examples.Loopback.args;
import static dev.socketserver.examples.Loopback.connect;
import static dev.socketserver.examples.Loopback.readToEnd;
import static dev.socketserver.examples.Loopback.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Connection;
import dev.socketserver.api.Server;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The seed's server.py and client.py: each path of the welcome server, and the client against it. */
@Timeout(20)
class WelcomeTest {
  private final Loopback.Captured serverOut = new Loopback.Captured();

  private Server welcome(String... more) throws Exception {
    return Welcome.server(Welcome.OPTIONS.parse(args(more)), serverOut).start();
  }

  @ParameterizedTest
  @CsvSource({"1, Welcome to server!", "2, Please go out!", "11, Please go out!"})
  void theReplyDependsOnWhetherThePayloadIsExactlyOne(String payload, String reply) throws Exception {
    try (Server server = welcome(); Connection c = connect(server)) {
      send(c, payload);
      assertEquals(reply, readToEnd(c)); // the reply, then the server closes
    }
  }

  @Test
  void aClientThatSendsNothingInTimeIsClosedWithoutAReply() throws Exception {
    try (Server server = welcome("--timeout", "0.1"); Connection c = connect(server)) {
      assertEquals("", readToEnd(c));
      assertTrue(serverOut.lines().contains("Time out"), serverOut.lines()::toString);
    }
  }

  @Test
  void theServerServesOneClientAfterAnother() throws Exception {
    try (Server server = welcome()) {
      for (String payload : List.of("1", "2", "1")) {
        try (Connection c = connect(server)) {
          send(c, payload);
          assertEquals(payload.equals("1") ? "Welcome to server!" : "Please go out!", readToEnd(c));
        }
      }
    }
  }

  @ParameterizedTest
  @CsvSource({"1, Welcome to server!", "hi, Please go out!"})
  void welcomeClientPrintsTheReply(String message, String reply) throws Exception {
    try (Server server = welcome()) {
      var out = new Loopback.Captured();
      WelcomeClient.run(clientOptions(server, "--delay", "0", "--message", message), out);
      assertEquals(List.of(reply), out.lines());
    }
  }

  @Test
  void welcomeClientSaysSoWhenTheServerGaveUpBeforeItsMessage() throws Exception {
    // The client's own --delay (1 s) outlasts the server's timeout (50 ms) by far.
    try (Server server = welcome("--timeout", "0.05")) {
      var out = new Loopback.Captured();
      WelcomeClient.run(clientOptions(server, "--delay", "1"), out);
      assertTrue(out.lines().getFirst().startsWith("No reply: the server closed the connection"), out.lines()::toString);
      assertTrue(serverOut.lines().contains("Time out"), serverOut.lines()::toString);
    }
  }

  private static Options clientOptions(Server server, String... more) throws Exception {
    return WelcomeClient.OPTIONS.parse(Loopback.argsFor(server, more));
  }
}
