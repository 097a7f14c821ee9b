package dev.socketserver.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.socketserver.api.testing.Await;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A fleet behind a real HAProxy, rolled under load (issue 18): three {@code echo --proxy-protocol}
 * backends on 127.0.0.2, .3 and .4 (or on distinct ports of 127.0.0.1 where those cannot be
 * bound), HAProxy in front with {@code send-proxy-v2}, health checks every 200 ms,
 * {@code retries 3} and {@code option redispatch}. Short sessions and long-lived connections run
 * throughout while each backend in turn is stopped, seen down by HAProxy, restarted with the same
 * arguments and seen up again. With SIGTERM (a drain) no request sent through HAProxy may be lost;
 * with SIGKILL (no drain, each backend killed twice) some are, which shows the test can fail.
 *
 * <p>HAProxy is required: CI installs it (.ci/run); without it this test fails rather than skips.
 * Each backend runs in a child JVM; every process is stopped by PID, on failure too.
 *
 * <p>Two system properties (default true) turn the SIGTERM roll's targets on:
 * {@code fleet.assertNoLoss}, no request lost; {@code fleet.assertQuietLogs}, no backend logged a
 * WARN (a balancer's health checks are not errors). net-examples' pom sets both false until the
 * library meets them (issue 18): today a drain cuts a long-lived connection at its deadline even
 * with a request in flight, a listener closed with connections in its backlog can reset them, and
 * every health check logs a WARN. The counts are printed either way.
 */
@Timeout(120)
class FleetRollTest {
  private static final Path HAPROXY = Path.of("/usr/sbin/haproxy");
  private static final String[] HOSTS = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  /**
   * Without the agent check: a roll lost 0 to 2 requests in 8 runs when the listener closed with
   * connections in its backlog; since the serving loop accepts what is queued before the close, 0
   * in 8 runs. What connects in the microseconds between that sweep and the close is still reset.
   */
  private static final int MAX_BACKLOG_RESETS = 2;

  private final List<ExampleProcess> started = new ArrayList<>();
  private @Nullable Process haproxy;
  private @Nullable EchoLoad load;

  /** One backend: its name in HAProxy's config, its arguments, its current process. */
  private static final class Backend {
    final String name;
    final List<String> args;
    ExampleProcess process;
    int generation;

    Backend(String name, List<String> args, ExampleProcess process) {
      this.name = name;
      this.args = args;
      this.process = process;
    }
  }

  private record Roll(EchoLoad.Counts counts, long warnings, List<String> failures) {}

  @AfterEach
  void stopEverything() throws InterruptedException {
    if (load != null) {
      load.close();
    }
    if (haproxy != null) {
      haproxy.destroy(); // SIGTERM to its PID
      if (!haproxy.waitFor(10, TimeUnit.SECONDS)) {
        haproxy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    for (ExampleProcess p : started) {
      p.close();
    }
  }

  /**
   * SIGTERM rolls behind HAProxy. With its agent check (the backend says drain, keeps accepting
   * for the grace, then drains) nothing is lost. Without it HAProxy learns of the drain only from
   * refused connects, which it retries; the server accepts what its backlog holds before it closes
   * the listener, but a connection that arrives in between is reset after HAProxy sent its data,
   * which it cannot retry: a rare loss is possible (printed), which is what the agent check is for.
   * Neither way logs a WARN.
   */
  @ParameterizedTest(name = "agent check: {0}")
  @ValueSource(booleans = {true, false})
  void aRollingRestartWithSigtermLosesNoRequest(boolean agentCheck, @TempDir Path dir) throws Exception {
    Roll roll = roll(dir, false, agentCheck);
    EchoLoad.Counts c = roll.counts();
    assertEquals(0, c.refused() + c.connectFailed(), "HAProxy itself refused clients: " + c);
    assertTrue(c.answered() > 0, c::toString);
    if (Boolean.parseBoolean(System.getProperty("fleet.assertNoLoss", "true"))) {
      if (agentCheck) {
        assertEquals(0, c.failed(), "requests lost in a SIGTERM roll: " + c + "; " + roll.failures());
      } else {
        assertTrue(c.failed() <= MAX_BACKLOG_RESETS, "more lost than a closing backlog explains: " + c
            + "; " + roll.failures());
      }
    }
    if (Boolean.parseBoolean(System.getProperty("fleet.assertQuietLogs", "true"))) {
      assertEquals(0, roll.warnings(), "WARN lines the backends logged in a SIGTERM roll (by kind above)");
    }
  }

  @Test
  void withSigkillInsteadOfADrainRequestsAreLost(@TempDir Path dir) throws Exception {
    Roll roll = roll(dir, true, false);
    assertTrue(roll.counts().failed() > 0, "SIGKILL under load lost nothing?! " + roll.counts());
  }

  /** Starts the fleet and HAProxy, runs the load, rolls every backend; returns what was counted. */
  private Roll roll(Path dir, boolean kill, boolean agentCheck) throws Exception {
    if (!Files.isExecutable(HAPROXY)) {
      fail("haproxy is not installed: apt-get install haproxy (.ci/run does it) - this test needs a real HAProxy");
    }
    String signal = kill ? "SIGKILL" : "SIGTERM";
    boolean spread = canBind(HOSTS[1]);
    List<Backend> backends = new ArrayList<>();
    int shared = 0;
    for (int i = 0; i < HOSTS.length; i++) {
      String host = spread ? HOSTS[i] : "127.0.0.1";
      String name = "b" + (i + 1);
      int agentPort = agentCheck ? freePort() : -1;
      ExampleProcess p = start(dir, name, args(host, shared, agentPort));
      int port = p.awaitListening(PATIENCE);
      if (spread) {
        shared = port; // the same port on each address, as on three hosts
      }
      backends.add(new Backend(name, args(host, port, agentPort), p));
    }
    int front = freePort();
    Path stats = dir.resolve("haproxy.sock");
    startHaproxy(dir, front, stats, backends);
    for (Backend b : backends) {
      awaitStatus(stats, b.name, "UP");
    }

    load = new EchoLoad(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), front));
    // Without a drain, what is lost is what is in flight when a backend dies: more of it, and two rounds of kills.
    load.shortSessions(kill ? 3 : 2, kill ? Duration.ZERO : Duration.ofMillis(2));
    // Long-lived connections that pause between messages (a drain ends them at a pause of 100 ms;
    // one that never pauses is served until the drain deadline, then cut).
    load.longLived(4, Duration.ofMillis(300));
    load.awaitMoreAnswers(200, PATIENCE);
    long rollStart = System.nanoTime();
    for (Backend b : kill ? concat(backends, backends) : backends) {
      long t0 = System.nanoTime();
      if (kill) {
        b.process.kill();
      } else {
        b.process.terminate();
      }
      assertTrue(b.process.awaitExit(PATIENCE), b.name + " did not exit after " + signal + ": " + b.process);
      long stopped = System.nanoTime();
      if (agentCheck && !kill) {
        // SIGTERM calls shutdown(): with an agent check it says drain and keeps accepting for the
        // grace first (it once skipped the grace, and the roll only passed on the backlog sweep).
        assertTrue(stopped - t0 >= DRAIN_GRACE.toNanos(), b.name + " exited " + (stopped - t0) / 1_000_000
            + " ms after SIGTERM, before its drain grace of " + DRAIN_GRACE.toMillis() + " ms");
      }
      awaitStatus(stats, b.name, "DOWN");
      b.process = start(dir, b.name + "-" + ++b.generation, b.args);
      b.process.awaitListening(PATIENCE);
      awaitStatus(stats, b.name, "UP");
      System.out.printf("FleetRollTest %s: %s exited %d ms after %s, up again %d ms later%n",
          signal, b.name, (stopped - t0) / 1_000_000, signal, (System.nanoTime() - stopped) / 1_000_000);
    }
    long rollMillis = (System.nanoTime() - rollStart) / 1_000_000;
    load.awaitMoreAnswers(200, PATIENCE);
    load.close();
    EchoLoad.Counts counts = load.counts();
    long warnings = started.stream().mapToLong(ExampleProcess::warnings).sum();
    System.out.printf("FleetRollTest %s roll (%s, agent check %s, %d ms): %s; backends' WARN lines: %d%n",
        signal, spread ? "127.0.0.2-4, one port" : "127.0.0.1, three ports", agentCheck, rollMillis, counts, warnings);
    if (counts.failed() > 0) {
      System.out.println("FleetRollTest " + signal + " failures, some: " + load.samples());
    }
    if (warnings > 0) {
      // What kind of WARN: the text after the logger's name, addresses and numbers left out.
      Map<String, Long> kinds = started.stream().flatMap(p -> p.warningLines().stream())
          .map(l -> l.substring(l.indexOf(" - ") + 3).replaceAll("[0-9]+", "N"))
          .collect(Collectors.groupingBy(l -> l, TreeMap::new, Collectors.counting()));
      System.out.println("FleetRollTest " + signal + " backends' WARN lines by kind: " + kinds);
    }
    return new Roll(counts, warnings, load.samples());
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> both = new ArrayList<>(a);
    both.addAll(b);
    return both;
  }

  private static final Duration DRAIN_GRACE = Duration.ofSeconds(1);

  /** The echo example's arguments; with an agent check on {@code agentPort} if it is not -1. */
  private static List<String> args(String host, int port, int agentPort) {
    List<String> args = new ArrayList<>(List.of("echo", "--no-greeting", "--proxy-protocol", "--trusted",
        "127.0.0.0/8", "--host", host, "--port", Integer.toString(port)));
    if (agentPort != -1) {
      args.addAll(List.of("--agent-check", Integer.toString(agentPort), "--drain-grace", DRAIN_GRACE.toSeconds() + "s"));
    }
    return List.copyOf(args);
  }

  private ExampleProcess start(Path dir, String name, List<String> args) throws IOException {
    ExampleProcess p = ExampleProcess.start(dir, name, args);
    started.add(p);
    return p;
  }

  private void startHaproxy(Path dir, int front, Path stats, List<Backend> backends) throws IOException {
    List<String> config = new ArrayList<>(List.of(
        "global",
        "  maxconn 256",
        "  stats socket " + stats + " mode 600 level admin",
        "defaults",
        "  mode tcp",
        "  timeout connect 500ms",
        "  timeout client 10s",
        "  timeout server 10s",
        "  retries 3",
        "  option redispatch",
        "frontend fleet",
        "  bind 127.0.0.1:" + front,
        "  default_backend echo",
        "backend echo",
        "  balance roundrobin"));
    for (Backend b : backends) {
      config.add("  server " + b.name + " " + b.args.get(b.args.indexOf("--host") + 1) + ":"
          + b.args.get(b.args.indexOf("--port") + 1) + " send-proxy-v2 check inter 200ms"
          + (b.args.contains("--agent-check")
              ? " agent-check agent-port " + b.args.get(b.args.indexOf("--agent-check") + 1) + " agent-inter 200ms"
              : ""));
    }
    config.add("");
    Path file = dir.resolve("haproxy.cfg");
    Files.writeString(file, String.join("\n", config));
    Path log = dir.resolve("haproxy.log");
    Process p = new ProcessBuilder(HAPROXY.toString(), "-db", "-f", file.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    haproxy = p;
    Await.until("haproxy listens on " + front, PATIENCE, () -> {
      if (!p.isAlive()) {
        throw new AssertionError("haproxy exited: " + ExampleProcess.read(log));
      }
      try (Socket _ = new Socket(InetAddress.getLoopbackAddress(), front)) {
        return true;
      } catch (IOException notYet) {
        return false;
      }
    });
  }

  /** Waits until HAProxy's stats say server {@code name} is {@code UP} or {@code DOWN} (not on its way there). */
  private static void awaitStatus(Path stats, String name, String status) {
    Await.until("HAProxy sees " + name + " " + status, PATIENCE, () -> status.equals(status(stats, name)));
  }

  /** Returns the status column of {@code show stat} for server {@code name}: UP, DOWN, "UP 1/3"... */
  private static String status(Path stats, String name) {
    String csv;
    try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(stats))) {
      channel.write(ByteBuffer.wrap("show stat\n".getBytes(StandardCharsets.US_ASCII)));
      csv = new String(Channels.newInputStream(channel).readAllBytes(), StandardCharsets.US_ASCII);
    } catch (IOException notYet) {
      return "";
    }
    List<String> lines = csv.lines().toList();
    if (lines.isEmpty() || !lines.getFirst().startsWith("# ")) {
      return "";
    }
    List<String> header = Arrays.asList(lines.getFirst().substring(2).split(","));
    int svname = header.indexOf("svname");
    int column = header.indexOf("status");
    return lines.stream().skip(1)
        .map(l -> l.split(",", -1))
        .filter(f -> f.length > column && f[0].equals("echo") && f[svname].equals(name))
        .map(f -> f[column])
        .findFirst().orElse("");
  }

  /** Whether this host lets a socket bind {@code host} (127.0.0.x beyond .1: Linux does, macOS does not). */
  private static boolean canBind(String host) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.ofLiteral(host), 0));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
