package dev.socketserver.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hot restart on one host without a balancer (issue 18): {@code echo --reuse-port} serves a
 * connect-heavy load (short sessions from a few threads), a second {@code echo --reuse-port}
 * binds the same port, the first gets SIGTERM and exits, the load runs on. Counts the connects
 * refused, reset or otherwise failed against those that succeeded. With
 * {@code net.ipv4.tcp_migrate_req=1} the kernel moves the connections still queued in the closing
 * listener to the other one; the test runs the restart with 0 and with 1 where it may set the
 * sysctl (root, writable), restoring its value after, else once with the value it finds.
 */
@Timeout(120)
class HotRestartTest {
  private static final Path MIGRATE_REQ = Path.of("/proc/sys/net/ipv4/tcp_migrate_req");
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final int THREADS = 3;

  private final List<ExampleProcess> started = new ArrayList<>();
  private @Nullable EchoLoad load;

  private record Restart(String migrateReq, EchoLoad.Counts counts, long answeredAfter) {
    long lost() {
      return counts.failed() + counts.refused() + counts.connectFailed();
    }
  }

  @AfterEach
  void stopEverything() throws InterruptedException {
    if (load != null) {
      load.close();
    }
    for (ExampleProcess p : started) {
      p.close();
    }
  }

  @Test
  void aSecondServerOnTheSamePortTakesOverWhileTheFirstStops(@TempDir Path dir) throws Exception {
    String original = migrateReq();
    System.out.println("HotRestartTest: net.ipv4.tcp_migrate_req is " + original);
    List<Restart> restarts = new ArrayList<>();
    if (settable(original)) {
      try {
        for (String value : List.of("0", "1")) {
          Files.writeString(MIGRATE_REQ, value);
          restarts.add(restart(dir, value));
        }
      } finally {
        Files.writeString(MIGRATE_REQ, original);
      }
    } else {
      System.out.println("HotRestartTest: cannot set tcp_migrate_req here (not root, or read-only): measured as it is");
      restarts.add(restart(dir, original));
    }
    for (Restart r : restarts) {
      assertTrue(r.answeredAfter() > 0, "nothing answered after the restart: " + r);
      if (r.migrateReq().equals("1")) {
        // The kernel hands what waits in the closing listener's backlog to the other one.
        assertEquals(0, r.lost(), "connects lost in a hot restart with tcp_migrate_req=1: " + r);
      }
    }
  }

  /** Runs one hot restart under load; returns the counts. */
  private Restart restart(Path dir, String migrateReq) throws Exception {
    ExampleProcess first = start(dir, "first-" + migrateReq, 0);
    int port = first.awaitListening(PATIENCE);
    EchoLoad l = new EchoLoad(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), port));
    load = l;
    l.shortSessions(THREADS, Duration.ZERO);
    l.awaitMoreAnswers(300, PATIENCE);
    ExampleProcess second = start(dir, "second-" + migrateReq, port);
    second.awaitListening(PATIENCE);
    long t0 = System.nanoTime();
    first.terminate();
    assertTrue(first.awaitExit(PATIENCE), "the first server did not exit after SIGTERM: " + first);
    long exitMillis = (System.nanoTime() - t0) / 1_000_000;
    long answeredAtExit = l.counts().answered();
    l.awaitMoreAnswers(300, PATIENCE); // the load runs on, served by the second alone
    l.close();
    EchoLoad.Counts counts = l.counts();
    Restart r = new Restart(migrateReq, counts, counts.answered() - answeredAtExit);
    System.out.printf("HotRestartTest tcp_migrate_req=%s: first exited %d ms after SIGTERM; %s;"
        + " answered after it exited %d%n", migrateReq, exitMillis, counts, r.answeredAfter());
    if (r.lost() > 0) {
      System.out.println("HotRestartTest tcp_migrate_req=" + migrateReq + " failures, some: " + l.samples());
    }
    second.terminate();
    assertTrue(second.awaitExit(PATIENCE), "the second server did not exit after SIGTERM: " + second);
    return r;
  }

  private ExampleProcess start(Path dir, String name, int port) throws IOException {
    ExampleProcess p = ExampleProcess.start(dir, name,
        List.of("echo", "--no-greeting", "--reuse-port", "--host", "127.0.0.1", "--port", Integer.toString(port)));
    started.add(p);
    return p;
  }

  private static String migrateReq() {
    try {
      return Files.readString(MIGRATE_REQ, StandardCharsets.US_ASCII).strip();
    } catch (IOException e) {
      return "unreadable (" + e + ")";
    }
  }

  /**
   * Whether this test may set the sysctl: it runs as root, the value is a number, and writing it
   * back as it is works (a read-only /proc/sys in a container refuses).
   */
  private static boolean settable(String original) {
    if (!original.matches("[0-9]+") || !"root".equals(System.getProperty("user.name"))) {
      return false;
    }
    try {
      Files.writeString(MIGRATE_REQ, original);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
