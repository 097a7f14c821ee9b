package dev.socketserver.examples;

import static dev.socketserver.examples.Loopback.args;
import static dev.socketserver.examples.Loopback.connect;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.socketserver.api.Connection;
import dev.socketserver.api.Framing;
import dev.socketserver.api.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The framing examples: line-echo and length-echo. */
@Timeout(20)
class FramedEchoTest {

  @Test
  void lineEchoEchoesLinesAndCutsOffALineOverTheLimit() throws Exception {
    try (Server server = LineEcho.server(LineEcho.OPTIONS.parse(args("--max", "5")), new Loopback.Captured()).start()) {
      try (Connection c = connect(server)) {
        c.output().write("hello\r\nabc\n123456\nnever read\n".getBytes(UTF_8));
        assertEquals("hello", c.readLine(100)); // exactly at the limit
        assertEquals("abc", c.readLine(100));
        assertEquals("error: line of at least 6 bytes exceeds the limit of 5 bytes", c.readLine(100));
        assertNull(c.readLine(100)); // and the connection is closed
      }
      try (Connection c = connect(server)) { // others are unaffected
        c.output().write("ok\n".getBytes(UTF_8));
        assertEquals("ok", c.readLine(100));
      }
    }
  }

  @Test
  void lengthEchoEchoesLengthPrefixedMessages() throws Exception {
    Framing framing = Framing.lengthField(4, 1 << 20);
    try (Server server = LengthEcho.server(LengthEcho.OPTIONS.parse(args()), new Loopback.Captured()).start();
        Connection c = connect(server)) {
      byte[][] messages = {new byte[0], "hello".getBytes(UTF_8), new byte[70_000]};
      for (byte[] m : messages) {
        c.writeFrame(framing, m);
      }
      for (byte[] m : messages) {
        assertArrayEquals(m, c.readFrame(framing));
      }
    }
  }

  @Test
  void lengthEchoClosesAConnectionWhoseLengthIsOverTheLimit() throws Exception {
    try (Server server = LengthEcho.server(LengthEcho.OPTIONS.parse(args("--max", "10")), new Loopback.Captured()).start();
        Connection c = connect(server)) {
      c.output().write(new byte[] {0, 0, 0, 11});
      c.output().flush();
      assertEquals(-1, c.input().read());
    }
  }
}
