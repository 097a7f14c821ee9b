package dev.socketserver.examples;

import static dev.socketserver.examples.Loopback.args;
import static dev.socketserver.examples.Loopback.connect;
import static dev.socketserver.examples.Loopback.send;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Connection;
import dev.socketserver.api.ConnectionOptions;
import dev.socketserver.api.Datagram;
import dev.socketserver.api.Server;
import dev.socketserver.api.testing.Await;
import dev.socketserver.tcp.TcpClient;
import dev.socketserver.udp.UdpClient;
import dev.socketserver.unix.UnixClient;
import dev.socketserver.unix.UnixDatagramClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What makes the server examples safe to start on a machine with a public address: they listen
 * on loopback unless told otherwise, say where they listen (so {@code --port 0} is usable), and
 * close clients that go silent or stop reading, by default, so that such clients cannot hold
 * connections (or every slot of {@code echo --limit N}) for ever.
 */
@Timeout(60)
class SafeToExposeTest {
  @TempDir Path dir;

  private final Loopback.Captured out = new Loopback.Captured();

  /** Builds (not starts) the example {@code name} from {@code args}, printing on {@link #out}. */
  private Server build(String name, String... args) throws Exception {
    return switch (name) {
      case "hello" -> Hello.server(Hello.OPTIONS.parse(args), out);
      case "welcome" -> Welcome.server(Welcome.OPTIONS.parse(args), out);
      case "echo" -> Echo.server(Echo.OPTIONS.parse(args), out);
      case "line-echo" -> LineEcho.server(LineEcho.OPTIONS.parse(args), out);
      case "length-echo" -> LengthEcho.server(LengthEcho.OPTIONS.parse(args), out);
      case "http-hello" -> HttpHello.server(HttpHello.OPTIONS.parse(args), out);
      case "tls-echo" -> TlsEcho.server(TlsEcho.OPTIONS.parse(with(args, "--keystore", dir.resolve("k.p12").toString())), out);
      case "udp-echo" -> UdpEcho.server(UdpEcho.OPTIONS.parse(args), out);
      case "unix-echo" -> UnixEcho.server(UnixEcho.OPTIONS.parse(with(args, "--path", socket().toString())), out);
      case "unix-dgram-echo" ->
          UnixDatagramEcho.server(UnixDatagramEcho.OPTIONS.parse(with(args, "--path", socket().toString())), out);
      default -> throw new IllegalArgumentException("no server example " + name);
    };
  }

  private static Options.Spec spec(String name) {
    return switch (name) {
      case "echo" -> Echo.OPTIONS;
      case "line-echo" -> LineEcho.OPTIONS;
      case "length-echo" -> LengthEcho.OPTIONS;
      case "http-hello" -> HttpHello.OPTIONS;
      case "tls-echo" -> TlsEcho.OPTIONS;
      case "unix-echo" -> UnixEcho.OPTIONS;
      default -> throw new IllegalArgumentException("no stream server example " + name);
    };
  }

  private Path socket() {
    return dir.resolve("example.sock");
  }

  private static String[] with(String[] args, String... more) {
    return Stream.concat(Stream.of(args), Stream.of(more)).toArray(String[]::new);
  }

  /** Returns what the example printed after {@code <name>: listening on }; fails if it did not. */
  private String listeningOn(String name) {
    Pattern line = Pattern.compile(Pattern.quote(name) + ": listening on (.+)");
    return out.lines().stream()
        .map(line::matcher)
        .filter(Matcher::matches)
        .map(m -> m.group(1))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no \"" + name + ": listening on\" line in " + out.lines()));
  }

  // ---- where they listen ----

  /**
   * Started with {@code --port 0} and no {@code --host}, each IP example prints
   * {@code <name>: listening on 127.0.0.1:<port>}, and that port is the server's.
   */
  @ParameterizedTest
  @ValueSource(strings = {"hello", "welcome", "echo", "line-echo", "length-echo", "http-hello", "tls-echo"})
  void aTcpExampleOnPortZeroPrintsTheLoopbackPortItListensOn(String name) throws Exception {
    try (Server server = build(name, "--port", "0").start()) {
      Matcher printed = Pattern.compile("127\\.0\\.0\\.1:(\\d+)").matcher(listeningOn(name));
      assertTrue(printed.matches(), printed::toString);
      try (Socket client = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(printed.group(1)))) {
        Await.until(name + " accepts the client", Loopback.PATIENCE, () -> server.metrics().accepted() == 1);
        assertTrue(client.isConnected());
      }
    }
  }

  @Test
  void udpEchoOnPortZeroPrintsTheLoopbackPortItListensOn() throws Exception {
    try (Server server = build("udp-echo", "--port", "0").start(); UdpClient client = UdpClient.open()) {
      Matcher printed = Pattern.compile("127\\.0\\.0\\.1:(\\d+)").matcher(listeningOn("udp-echo"));
      assertTrue(printed.matches(), printed::toString);
      InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(printed.group(1)));
      Datagram reply = client.request(to, "ping".getBytes(UTF_8), Loopback.PATIENCE);
      assertEquals("ping", new String(reply.bytes(), UTF_8));
    }
  }

  @Test
  void unixEchoPrintsTheSocketPathItListensOn() throws Exception {
    try (Server server = build("unix-echo").start()) {
      assertEquals(socket().toString(), listeningOn("unix-echo"));
      try (Connection c = UnixClient.connect(Path.of(listeningOn("unix-echo")))) {
        send(c, "ping\n");
        assertEquals("ping", c.readLine(100));
      }
    }
  }

  @Test
  void unixDatagramEchoPrintsTheSocketPathItListensOn() throws Exception {
    try (Server server = build("unix-dgram-echo").start();
        UnixDatagramClient client = UnixClient.datagram(Path.of(listeningOn("unix-dgram-echo")))) {
      assertEquals(socket().toString(), listeningOn("unix-dgram-echo"));
      client.send("ping".getBytes(UTF_8));
      assertEquals("ping", new String(client.receive(Loopback.PATIENCE).bytes(), UTF_8));
    }
  }

  // ---- timeouts ----

  /** The defaults a network-facing example closes silent and non-reading clients with. */
  @ParameterizedTest
  @CsvSource({
    "echo, PT60S, PT30S",
    "line-echo, PT60S, PT30S",
    "length-echo, PT60S, PT0S", // no read timeout, so Handlers.framed holds no thread while idle
    "tls-echo, PT60S, PT30S",
    "http-hello, PT15S, PT10S",
    "unix-echo, PT60S, PT30S",
  })
  void aNetworkFacingExampleHasAnIdleTimeoutByDefault(String name, Duration idle, Duration read) throws Exception {
    Options defaults = spec(name).parse();
    assertEquals(idle, defaults.duration("idle-timeout"));
    assertEquals(read, defaults.duration("read-timeout"));
    assertTrue(spec(name).help().stream().anyMatch(l -> l.startsWith("  --idle-timeout ") && l.endsWith("s)")),
        spec(name).help()::toString);
  }

  /** A client that connects and never sends is closed once it has been silent for the idle timeout. */
  @ParameterizedTest
  @ValueSource(strings = {"echo", "line-echo", "length-echo", "http-hello"})
  void aSilentClientIsClosedByTheIdleTimeout(String name) throws Exception {
    try (Server server = build(name, args("--idle-timeout", "0.3")).start(); Connection silent = connect(server)) {
      Loopback.readToEnd(silent); // echo's greeting, if any, then the end: the server closed it
      Await.until("the idle timeout counted", Loopback.PATIENCE, () -> server.metrics().idleTimeouts() == 1);
      assertEquals(0, server.metrics().readTimeouts());
    }
  }

  @Test
  void aSilentEchoClientIsClosedByTheReadTimeout() throws Exception {
    try (Server server = build("echo", args("--read-timeout", "0.3", "--idle-timeout", "0")).start();
        Connection silent = connect(server)) {
      Loopback.readToEnd(silent);
      Await.until("the read timeout counted", Loopback.PATIENCE, () -> server.metrics().readTimeouts() == 1);
      assertEquals(0, server.metrics().idleTimeouts());
    }
  }

  /**
   * A client that sends and never reads its echoes fills the socket buffers until the server's
   * write waits: no byte moves, and the idle timeout closes it.
   */
  @Test
  void anEchoClientThatNeverReadsIsClosedByTheIdleTimeout() throws Exception {
    try (Server server = build("echo", args("--no-greeting", "--idle-timeout", "0.5")).start();
        Connection deaf = TcpClient.connect(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), Loopback.port(server)),
            Loopback.PATIENCE,
            ConnectionOptions.defaults().withWriteTimeout(Loopback.PATIENCE))) {
      CompletableFuture<IOException> cut = CompletableFuture.supplyAsync(() -> {
        byte[] chunk = new byte[64 * 1024];
        try {
          while (true) {
            deaf.output().write(chunk);
          }
        } catch (IOException e) {
          return e;
        }
      });
      IOException e = cut.get(30, TimeUnit.SECONDS);
      assertFalse(e instanceof SocketTimeoutException, () -> "the server never closed it: " + e);
      Await.until("the idle timeout counted", Loopback.PATIENCE, () -> server.metrics().idleTimeouts() == 1);
    }
  }

  /**
   * Two silent clients fill {@code echo --limit 2}; the third waits in the backlog until the idle
   * timeout closes them, and is then served.
   */
  @Test
  void twoSilentClientsNoLongerBlockEchoLimitTwo() throws Exception {
    try (Server server = build("echo", args("--limit", "2", "--idle-timeout", "0.3")).start();
        Connection a = connect(server);
        Connection b = connect(server)) {
      assertTrue(a.readLine(200).startsWith("Connection "), "a is in a handler");
      assertTrue(b.readLine(200).startsWith("Connection "), "b is in a handler");
      try (Connection c = connect(server)) {
        assertTrue(c.readLine(200).startsWith("Connection "), "c is served once a slot is free");
        send(c, "served\n");
        assertEquals("served", c.readLine(200));
      }
      assertEquals(-1, a.input().read());
      assertEquals(-1, b.input().read());
      Await.until("both idle timeouts counted", Loopback.PATIENCE, () -> server.metrics().idleTimeouts() == 2);
    }
  }
}
