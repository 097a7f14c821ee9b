package dev.socketserver.examples;

import static dev.socketserver.examples.Loopback.args;
import static dev.socketserver.examples.Loopback.connect;
import static dev.socketserver.examples.Loopback.port;
import static dev.socketserver.examples.Loopback.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Connection;
import dev.socketserver.api.Server;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The seed's ThreadingTCPServer echo server, under every concurrency option. */
@Timeout(30)
class EchoTest {
  private static final Pattern GREETING =
      Pattern.compile(
          "Connection 127\\.0\\.0\\.1:(\\d+) at [A-Z][a-z]{2} [A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4} succeed!\r\n");
  private static final List<String> LINES = List.of("hello", "who is u?", "", "ünïcödé ✓", "x".repeat(10_000));

  private final Loopback.Captured out = new Loopback.Captured();

  /** Every --concurrency value, and limits that make clients queue. */
  static Stream<String> policies() {
    return Stream.of("sequential", "platform", "virtual", "pool:4", "pool:1", "virtual --limit 1", "platform --limit 2");
  }

  /** The policies that can serve three clients at the same time. */
  static Stream<String> policiesForThreeAtOnce() {
    return Stream.of("platform", "virtual", "pool:3", "virtual --limit 3");
  }

  private Server echo(String... more) throws Exception {
    return Echo.server(Echo.OPTIONS.parse(args(more)), out).start();
  }

  private Server echoWith(String policy) throws Exception {
    return echo(("--concurrency " + policy).split(" "));
  }

  @Test
  void theGreetingNamesTheServersAddressAndTheTimeLikeCtimeAndEndsWithCrLf() throws Exception {
    try (Server server = echo(); Connection c = connect(server)) {
      String greeting = readThroughLf(c);
      var m = GREETING.matcher(greeting);
      assertTrue(m.matches(), greeting);
      assertEquals(port(server), Integer.parseInt(m.group(1)));
      var client = (InetSocketAddress) c.localAddress();
      assertEquals(
          List.of(
              "server is running ....",
              "echo: listening on 127.0.0.1:" + port(server),
              "echo: idle timeout 60 s, read timeout 30 s",
              "Got connection from 127.0.0.1:" + client.getPort()),
          out.lines());
    }
  }

  @Test
  void ctimeIsFormattedLikePythons() {
    assertEquals("Mon Apr  2 02:44:17 2012", Echo.ctime(LocalDateTime.of(2012, 4, 2, 2, 44, 17)));
    assertEquals("Thu Apr 12 14:04:05 2012", Echo.ctime(LocalDateTime.of(2012, 4, 12, 14, 4, 5)));
  }

  @Test
  void ipv6AddressesAreBracketedAndUnixOnesArePaths() throws Exception {
    byte[] ipv6Loopback = new byte[16];
    ipv6Loopback[15] = 1;
    assertEquals("[0:0:0:0:0:0:0:1]:3130", Serving.address(new InetSocketAddress(InetAddress.getByAddress(ipv6Loopback), 3130)));
    assertEquals("127.0.0.1:3130", Serving.address(new InetSocketAddress(InetAddress.getLoopbackAddress(), 3130)));
    assertEquals("/tmp/echo.sock", Serving.address(UnixDomainSocketAddress.of("/tmp/echo.sock")));
  }

  @ParameterizedTest
  @MethodSource("policies")
  void threeClientsInTurnGetEveryLineBack(String policy) throws Exception {
    try (Server server = echoWith(policy)) {
      for (int i = 0; i < 3; i++) {
        assertEquals(expectedSession(i), session(server, i, null));
      }
      assertEquals(6, out.lines().size(), out.lines()::toString); // running, listening, timeouts, 3 connections
    }
  }

  @ParameterizedTest
  @MethodSource("policies")
  void threeClientsStartedTogetherAllGetEveryLineBack(String policy) throws Exception {
    threeClientsAtOnce(policy, null);
  }

  @ParameterizedTest
  @MethodSource("policiesForThreeAtOnce")
  void threeClientsAreServedAtTheSameTime(String policy) throws Exception {
    // Each client waits, greeted, until all three are greeted: only a concurrent server gets there.
    threeClientsAtOnce(policy, new CountDownLatch(3));
  }

  private void threeClientsAtOnce(String policy, CountDownLatch together) throws Exception {
    try (Server server = echoWith(policy); var clients = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<List<String>>> sessions = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        int id = i;
        sessions.add(clients.submit(() -> session(server, id, together)));
      }
      for (int i = 0; i < 3; i++) {
        assertEquals(expectedSession(i), sessions.get(i).get());
      }
    }
  }

  @Test
  void noGreetingEchoesAtOnceAndPrintsNothingPerConnection() throws Exception {
    try (Server server = echo("--no-greeting"); Connection c = connect(server)) {
      send(c, "ping\r\n");
      assertEquals("ping", c.readLine(100));
      c.shutdownOutput();
      assertNull(c.readLine(100));
      assertEquals(
          List.of("server is running ....", "echo: listening on 127.0.0.1:" + port(server), "echo: idle timeout 60 s, read timeout 30 s"),
          out.lines());
    }
  }

  @Test
  void bytesWithoutLineEndsAreEchoedToo() throws Exception {
    try (Server server = echo("--no-greeting"); Connection c = connect(server)) {
      byte[] all = new byte[256];
      for (int i = 0; i < all.length; i++) {
        all[i] = (byte) i;
      }
      c.output().write(all);
      c.shutdownOutput(); // the server sees the end, echoes the rest and closes
      assertEquals(List.of(), diff(all, c.input().readAllBytes()));
    }
  }

  /**
   * One client: reads the greeting, (waits for {@code together} if given), sends each of
   * {@link #LINES} tagged with {@code id} and reads its echo, then closes. Returns the echoes.
   */
  private static List<String> session(Server server, int id, CountDownLatch together) throws Exception {
    try (Connection c = connect(server)) {
      assertTrue(GREETING.matcher(readThroughLf(c)).matches());
      if (together != null) {
        together.countDown();
        assertTrue(together.await(10, TimeUnit.SECONDS), "the other clients were not greeted");
      }
      List<String> echoes = new ArrayList<>();
      for (String line : LINES) {
        send(c, id + ": " + line + "\r\n");
        echoes.add(c.readLine(20_000));
      }
      c.shutdownOutput();
      assertNull(c.readLine(100), "the server closes after the client does");
      return echoes;
    }
  }

  private static List<String> expectedSession(int id) {
    return LINES.stream().map(line -> id + ": " + line).toList();
  }

  /** Reads bytes up to and including the first LF, so the line end itself can be checked. */
  private static String readThroughLf(Connection c) throws IOException {
    var line = new ByteArrayOutputStream();
    int b;
    while ((b = c.input().read()) != -1) {
      line.write(b);
      if (b == '\n') {
        break;
      }
    }
    return line.toString(StandardCharsets.UTF_8);
  }

  private static List<Integer> diff(byte[] expected, byte[] actual) {
    List<Integer> differences = new ArrayList<>();
    for (int i = 0; i < Math.max(expected.length, actual.length); i++) {
      if (i >= expected.length || i >= actual.length || expected[i] != actual[i]) {
        differences.add(i);
      }
    }
    return differences;
  }

  /**
   * {@code processes:N} parses to the processes policy. Not served here: its supervisor would run
   * this test JVM's own command line again as each worker (net-tcp's TcpProcessesTest runs a
   * processes program end to end as a child process).
   */
  @Test
  void processesParsesToWorkerProcesses() {
    assertEquals(Concurrency.processes(4), Echo.concurrency("processes:4"));
  }
}
