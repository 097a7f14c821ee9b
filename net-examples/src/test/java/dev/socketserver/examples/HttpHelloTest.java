package dev.socketserver.examples;

import static dev.socketserver.examples.Loopback.args;
import static dev.socketserver.examples.Loopback.connect;
import static dev.socketserver.examples.Loopback.send;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Connection;
import dev.socketserver.api.Server;
import dev.socketserver.api.testing.Await;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class HttpHelloTest {
  private Server server;

  @BeforeEach
  void start() throws Exception {
    server = HttpHello.server(HttpHello.OPTIONS.parse(args()), new Loopback.Captured()).start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** A response: status line, headers (as sent) and body. */
  private record Response(String status, List<String> headers, String body) {}

  private static Response response(Connection c) throws IOException {
    String status = c.readLine(1000);
    List<String> headers = new ArrayList<>();
    int length = 0;
    for (String h; !(h = c.readLine(1000)).isEmpty(); ) {
      headers.add(h);
      if (h.startsWith("Content-Length: ")) {
        length = Integer.parseInt(h.substring(16));
      }
    }
    return new Response(status, headers, new String(c.input().readNBytes(length), US_ASCII));
  }

  @Test
  void keepAliveConnectionServesPipelinedRequestsInOrder() throws Exception {
    try (Connection c = connect(server)) {
      send(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\nHEAD /a HTTP/1.1\r\nHost: x\r\n\r\n"
          + "POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /c HTTP/1.1\r\n\r\n");
      Response get = response(c);
      assertEquals("HTTP/1.1 200 OK", get.status());
      assertTrue(get.headers().contains("Content-Length: 13"), get.headers()::toString);
      assertEquals("Hello, World!", get.body());
      // HEAD: same headers, no body; the next response follows at once.
      String head = c.readLine(1000);
      assertEquals("HTTP/1.1 200 OK", head);
      for (String h; !(h = c.readLine(1000)).isEmpty(); ) {
        assertTrue(h.contains(":"), h);
      }
      assertEquals("Hello, World!", response(c).body()); // after the POST's body was skipped
      assertEquals("Hello, World!", response(c).body());
      send(c, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
      Response last = response(c);
      assertTrue(last.headers().contains("Connection: close"), last.headers()::toString);
      assertNull(c.readLine(1000));
    }
  }

  @Test
  void http10ClosesUnlessAskedToKeepAlive() throws Exception {
    try (Connection c = connect(server)) {
      send(c, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
      assertTrue(response(c).headers().contains("Connection: keep-alive"));
      send(c, "GET / HTTP/1.0\r\n\r\n");
      assertEquals("Hello, World!", response(c).body());
      assertNull(c.readLine(1000));
    }
  }

  /** A keep-alive connection that sends no next request within the read timeout is closed quietly. */
  @Test
  void aKeepAliveConnectionIsClosedWithoutAWordWhenNoRequestComesInTime() throws Exception {
    try (Server timed = HttpHello.server(HttpHello.OPTIONS.parse(args("--read-timeout", "0.3")), new Loopback.Captured()).start();
        Connection c = connect(timed)) {
      send(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      assertEquals("Hello, World!", response(c).body());
      assertNull(c.readLine(1000)); // then nothing: closed after the read timeout
      Await.until("the request counted", Loopback.PATIENCE, () -> timed.metrics().completed() == 1);
      assertEquals(0, timed.metrics().failed());
      assertEquals(1, timed.metrics().readTimeouts());
    }
  }

  /** A request that stalls halfway (slowloris) gets a 408 after the read timeout, and is closed. */
  @Test
  void aRequestThatStallsGetsA408AfterTheReadTimeout() throws Exception {
    try (Server timed = HttpHello.server(HttpHello.OPTIONS.parse(args("--read-timeout", "0.3")), new Loopback.Captured()).start();
        Connection c = connect(timed)) {
      send(c, "GET / HTTP/1.1\r\nHost: x\r\n"); // no empty line: the headers never end
      Response r = response(c);
      assertEquals("HTTP/1.1 408 Request Timeout", r.status());
      assertTrue(r.headers().contains("Connection: close"), r.headers()::toString);
      assertNull(c.readLine(1000));
    }
  }

  @Test
  void badRequestsGetAnErrorAndTheConnectionCloses() throws Exception {
    String[][] cases = {
      {"GET / HTTP/1.1\nHost: x\r\n\r\n", "HTTP/1.1 400 Bad Request"}, // bare LF
      {"GET /" + "a".repeat(HttpHello.MAX_LINE) + " HTTP/1.1\r\n\r\n", "HTTP/1.1 414 URI Too Long"},
      {"GET / HTTP/1.1\r\nX: " + "a".repeat(HttpHello.MAX_LINE) + "\r\n\r\n", "HTTP/1.1 431 Request Header Fields Too Large"},
      {"GET / HTTP/1.1\r\n" + "X: y\r\n".repeat(HttpHello.MAX_HEADERS + 1) + "\r\n", "HTTP/1.1 431 Request Header Fields Too Large"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 501 Not Implemented"},
      {"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "HTTP/1.1 400 Bad Request"},
      {"GET / HTTP/2.0\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported"},
    };
    for (String[] t : cases) {
      try (Connection c = connect(server)) {
        send(c, t[0]);
        Response r = response(c);
        assertEquals(t[1], r.status(), t[0]);
        assertTrue(r.headers().contains("Connection: close"), r.headers()::toString);
        assertNull(c.readLine(100_000), t[0]);
      }
    }
  }
}
