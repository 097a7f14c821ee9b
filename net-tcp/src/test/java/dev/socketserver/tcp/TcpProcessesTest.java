package dev.socketserver.tcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Connection;
import dev.socketserver.api.testing.Await;
import dev.socketserver.api.testing.SupervisorProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code Concurrency.processes(2)} over TCP, end to end: each test runs {@link ProcessServerMain}
 * as a child process (the supervisor), which starts its two workers the way any program would,
 * by running itself again. The JVMs are small ({@code -Xmx64m}, C1 only) to spare the machine.
 */
@Timeout(120)
class TcpProcessesTest {
  private static final Duration CONNECT = Duration.ofSeconds(10);
  private final List<SupervisorProcess> children = new ArrayList<>();

  private SupervisorProcess supervisor(String mode) throws IOException {
    SupervisorProcess s = new SupervisorProcess(ProcessServerMain.class, mode);
    children.add(s);
    return s;
  }

  @AfterEach
  void killWhatIsLeft() {
    children.forEach(SupervisorProcess::close);
  }

  private static String ask(int port, String line) throws IOException {
    try (Connection c = TcpClient.connect("127.0.0.1", port, CONNECT)) {
      return say(c, line);
    }
  }

  private static String say(Connection c, String line) throws IOException {
    c.output().write((line + "\n").getBytes(UTF_8));
    c.output().flush();
    String reply = c.readLine(100);
    if (reply == null) {
      throw new IOException("connection closed without a reply to " + line);
    }
    return reply;
  }

  @Test
  void twoHundredConnectionsAreAllServedAndSpreadOverBothWorkers() throws Exception {
    SupervisorProcess s = supervisor("serve");
    int port = s.port();
    Set<Long> pids = s.workers();
    assertEquals(2, pids.size(), "two workers: " + pids);
    Set<String> seen = ConcurrentHashMap.newKeySet();
    AtomicInteger served = new AtomicInteger();
    try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        done.add(clients.submit(() -> {
          for (int i = 0; i < 25; i++) {
            seen.add(ask(port, "who"));
            served.incrementAndGet();
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    }
    assertEquals(200, served.get());
    assertEquals(Set.of("0", "1"), seen, "both workers served");
    s.awaitMetrics("200 \\d+ 200 0"); // accepted active completed failed, summed over the workers
    assertEquals(0, s.closeServer());
  }

  @Test
  void aWorkerKilledUnderLoadIsReplacedAndTheOtherWorkerLosesNoConnection() throws Exception {
    SupervisorProcess s = supervisor("serve");
    int port = s.port();
    Set<Long> before = s.workers();
    // Connections held open in both workers: those of the surviving worker must all complete.
    List<List<Connection>> held = List.of(new ArrayList<>(), new ArrayList<>());
    long[] pidOf = new long[2];
    for (int i = 0; i < 100 && (held.get(0).size() < 3 || held.get(1).size() < 3); i++) {
      Connection c = TcpClient.connect("127.0.0.1", port, CONNECT);
      Matcher reply = Pattern.compile("held (\\d) (\\d+)").matcher(say(c, "hold"));
      assertTrue(reply.matches());
      int index = Integer.parseInt(reply.group(1));
      pidOf[index] = Long.parseLong(reply.group(2));
      held.get(index).add(c);
    }
    assertTrue(held.get(0).size() >= 3 && held.get(1).size() >= 3, "connections on both workers");
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger answered = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    try (ExecutorService load = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int t = 0; t < 4; t++) {
        var _ = load.submit(() -> {
          while (!stop.get()) {
            try {
              ask(port, "who");
              answered.incrementAndGet();
            } catch (IOException e) {
              failed.incrementAndGet(); // in the killed worker's backlog: reset with it
            }
          }
          return null;
        });
      }
      Await.until("load running", Duration.ofSeconds(20), () -> answered.get() > 50);

      ProcessHandle.of(pidOf[0]).orElseThrow().destroyForcibly(); // kill -9 worker 0
      int answeredAtKill = answered.get();
      for (Connection c : held.get(1)) {
        assertEquals("done 1", say(c, "finish"));
        c.close();
      }
      for (Connection c : held.get(0)) {
        c.close();
      }
      Await.until("worker 0 replaced", Duration.ofSeconds(30), () -> {
        Set<Long> now = s.workers();
        return now.size() == 2 && !now.contains(pidOf[0]) && now.containsAll(Set.of(pidOf[1]));
      });
      Await.until("the new worker 0 serving", Duration.ofSeconds(30), () -> {
        try {
          return ask(port, "who").equals("0");
        } catch (IOException e) {
          return false;
        }
      });
      Await.until("load answered after the kill", Duration.ofSeconds(20), () -> answered.get() > answeredAtKill + 50);
      stop.set(true);
    }
    System.err.printf("kill -9 under load: %d answered, %d failed (reset with the killed worker)%n",
        answered.get(), failed.get());
    assertTrue(s.log.stream().anyMatch(l -> l.contains("Worker 0 of") && l.contains("exited with status 137")),
        "the exit is logged with its status");
    assertTrue(before.contains(pidOf[1]));
    assertEquals(0, s.closeServer());
  }

  @Test
  void aHungWorkerIsKilledAndReplacedSoEveryNewClientIsServedAgain() throws Exception {
    SupervisorProcess s = supervisor("watchdog"); // heartbeat timeout 1 s
    int port = s.port();
    List<Long> before = List.copyOf(s.workers());
    assertEquals(2, before.size(), "two workers: " + before);
    long hung = before.get(0);
    long healthy = before.get(1);
    Process stop = new ProcessBuilder("kill", "-STOP", Long.toString(hung)).inheritIO().start();
    try {
      assertTrue(stop.waitFor(10, TimeUnit.SECONDS) && stop.exitValue() == 0, "kill -STOP " + hung);
      // While the stopped worker listens, the kernel hands it about half of the new connections,
      // which nobody accepts: a batch of 20 is all served only once it is gone.
      AtomicInteger lastBatch = new AtomicInteger();
      try {
        Await.until("20 new clients at once all served", Duration.ofSeconds(30), () -> {
          lastBatch.set(served(port, 20));
          return lastBatch.get() == 20;
        });
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + " (the last batch: " + lastBatch + " of 20 served)", e);
      }
      assertTrue(ProcessHandle.of(hung).map(p -> !p.isAlive()).orElse(true), "the hung worker was killed");
      Await.until("the kill logged", Duration.ofSeconds(10), () -> s.log.stream().anyMatch(l ->
          l.contains("(pid " + hung + ") is hung: no heartbeat for ")
              && l.contains("heartbeat timeout 1000 ms; killing it (SIGKILL)")));
      Await.until("a new worker in its place, the other untouched", Duration.ofSeconds(30), () -> {
        Set<Long> now = s.workers();
        return now.size() == 2 && !now.contains(hung) && now.contains(healthy);
      });
      Set<String> seen = ConcurrentHashMap.newKeySet();
      Await.until("both workers serving", Duration.ofSeconds(30), () -> {
        try {
          seen.add(ask(port, "who"));
        } catch (IOException e) {
          throw new AssertionError("no hung worker is left to hold a client", e);
        }
        return seen.size() == 2;
      });
      assertEquals(20, served(port, 20), "20 new clients at once, served by the new worker and the other");
    } finally {
      ProcessHandle.of(hung).ifPresent(ProcessHandle::destroyForcibly); // kills it even while stopped
    }
    Await.until("the restart logged with its reason", Duration.ofSeconds(10), () -> s.log.stream().anyMatch(l ->
        l.contains("was killed as hung (no heartbeat for ") && l.contains("restarting it in 250 ms")));
    assertEquals(0, s.closeServer());
  }

  /** Connects {@code clients} clients at once; returns how many got their reply within a second. */
  private static int served(int port, int clients) {
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<String>> replies = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        replies.add(pool.submit(() -> {
          try (Connection c = TcpClient.connect("127.0.0.1", port, CONNECT)) {
            c.readTimeout(Duration.ofSeconds(1)); // in a stopped worker's backlog: never answered
            return say(c, "who");
          }
        }));
      }
      int served = 0;
      for (Future<String> reply : replies) {
        try {
          reply.get();
          served++;
        } catch (ExecutionException e) {
          // not served: reset, or no reply within the second
        }
      }
      return served;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void closeDrainsRequestsInFlightThenLeavesNoProcessAndFreesThePort() throws Exception {
    SupervisorProcess s = supervisor("serve");
    int port = s.port();
    Set<Long> workers = s.workers();
    List<Connection> held = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Connection c = TcpClient.connect("127.0.0.1", port, CONNECT);
      assertTrue(say(c, "hold").startsWith("held "));
      held.add(c);
    }
    s.send("close");
    // Both workers stop accepting: new clients are refused (the supervisor's reservation does not listen).
    Await.until("new connections refused", Duration.ofSeconds(30), () -> {
      try (Connection _ = TcpClient.connect("127.0.0.1", port, CONNECT)) {
        return false;
      } catch (IOException e) {
        return true;
      }
    });
    for (Connection c : held) {
      assertTrue(say(c, "finish").startsWith("done "), "a request in flight finishes during the drain");
      c.close();
    }
    assertEquals(0, Long.parseLong(s.expect("closed ")), "no descendant left after close()");
    assertTrue(s.process.waitFor(30, TimeUnit.SECONDS));
    for (long pid : workers) {
      assertTrue(ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), "worker " + pid + " gone");
    }
    try (ServerSocket again = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
      assertEquals(port, again.getLocalPort(), "the port is free");
    }
  }

  @Test
  void aCrashLoopingWorkerIsBackedOffAndReportedWhileTheOtherServes() throws Exception {
    SupervisorProcess s = supervisor("crash-worker-1");
    int port = s.port();
    Pattern exit = Pattern.compile("Worker 1 of .* exited with status 3 .*restarting it in (\\d+) ms");
    List<Long> delays = new ArrayList<>();
    long first = 0;
    long last = 0;
    while (delays.size() < 4) {
      String line = s.log.poll(60, TimeUnit.SECONDS);
      assertTrue(line != null, "exits reported");
      Matcher m = exit.matcher(line);
      if (m.find()) {
        delays.add(Long.parseLong(m.group(1)));
        last = System.nanoTime();
        if (first == 0) {
          first = last;
        }
        assertEquals("0", ask(port, "who"), "worker 0 serves all along");
      }
    }
    assertEquals(List.of(250L, 500L, 1000L, 2000L), delays, "the back-off doubles");
    assertTrue(Duration.ofNanos(last - first).toMillis() >= 1000,
        "not a tight loop: 3 restarts took " + Duration.ofNanos(last - first));
    assertEquals(0, s.closeServer());
  }

  @Test
  void whenNoWorkerStartsListeningTheBuildFailsAndSaysWhy() throws Exception {
    SupervisorProcess s = supervisor("crash-all");
    String failure = s.expect("failed ");
    assertTrue(failure.contains("none of the 2 worker processes") && failure.contains("stderr"), failure);
    assertTrue(s.process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, s.process.descendants().count());
  }

  @Test
  void processesCannotServeAnInheritedChannel() {
    var e = assertThrows(IllegalStateException.class, () -> TcpServer.builder()
        .inheritedChannel()
        .concurrency(Concurrency.processes(2))
        .handler(c -> {})
        .build());
    assertTrue(e.getMessage().contains("bind(...)"), e.getMessage());
  }
}
