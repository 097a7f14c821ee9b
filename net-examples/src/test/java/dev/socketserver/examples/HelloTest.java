package dev.socketserver.examples;

import static dev.socketserver.examples.Loopback.args;
import static dev.socketserver.examples.Loopback.connect;
import static dev.socketserver.examples.Loopback.port;
import static dev.socketserver.examples.Loopback.readToEnd;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.socketserver.api.Connection;
import dev.socketserver.api.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class HelloTest {
  @Test
  void everyClientGetsHelloWorldAndThenEndOfStream() throws Exception {
    var out = new Loopback.Captured();
    try (Server server = Hello.server(Hello.OPTIONS.parse(args()), out).start()) {
      for (int i = 0; i < 3; i++) {
        try (Connection c = connect(server)) {
          assertEquals("Hello world!\n", readToEnd(c));
        }
      }
      assertEquals("hello: listening on 127.0.0.1:" + port(server), out.lines().getFirst());
    }
  }
}
