package dev.socketserver.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.testing.Await;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks from issue 14 against example servers in a child JVM, as a peer would make them: the
 * server must stay responsive, keep its memory and descriptors bounded, log at a bounded rate,
 * and still exit 0 on SIGTERM.
 */
@Timeout(120)
class HostilePeersTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** A child JVM running one example, its stdout's first line read. */
  private record Child(Process process, Path stderr, int port) implements AutoCloseable {
    static Child start(Path dir, List<String> jvmOptions, String... args) throws IOException {
      return start(dir, 0, jvmOptions, args);
    }

    /** Starts the example; with {@code maxDescriptors > 0}, under that descriptor limit. */
    static Child start(Path dir, int maxDescriptors, List<String> jvmOptions, String... args)
        throws IOException {
      List<String> command = Loopback.exampleCommand(args);
      command.addAll(1, jvmOptions);
      if (maxDescriptors > 0) {
        // Soft and hard limit both: the JVM raises its soft limit to the hard one at start.
        command.addAll(0, List.of("bash", "-c", "ulimit -n " + maxDescriptors + " && exec \"$0\" \"$@\""));
      }
      Path errors = dir.resolve("stderr.txt");
      Process p = new ProcessBuilder(command).redirectError(errors.toFile()).start();
      BufferedReader out = p.inputReader(StandardCharsets.UTF_8);
      Child child = new Child(p, errors, 0);
      String line = out.readLine();
      for (int i = 0; i < 3 && line != null && !line.contains("listening on "); i++) {
        line = out.readLine(); // the seed's "server is running ...." may come first
      }
      String first = line;
      assertTrue(first != null && first.contains("listening on "), () -> "no address: " + first + child.errors());
      String address = java.util.Objects.requireNonNull(first).substring(first.indexOf("listening on ") + "listening on ".length()).trim();
      String tail = address.substring(address.lastIndexOf(':') + 1);
      int port = tail.matches("[0-9]+") ? Integer.parseInt(tail) : 0; // 0: a Unix socket path
      Thread.ofVirtual().start(() -> drain(p.getInputStream()));
      return new Child(p, errors, port);
    }

    /** The example's TCP address on loopback. */
    InetSocketAddress address() {
      return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    String errors() {
      try {
        return "\nchild's stderr:\n" + Files.readString(stderr);
      } catch (IOException e) {
        return "\n(stderr unreadable: " + e + ")";
      }
    }

    long descriptors() throws IOException {
      try (var fds = Files.list(Path.of("/proc", Long.toString(process.pid()), "fd"))) {
        return fds.count();
      }
    }

    long residentKiB() throws IOException {
      for (String l : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
        if (l.startsWith("VmRSS:")) {
          return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
      }
      return -1;
    }

    /** SIGTERM, then the exit status, which must come within the wait. */
    int terminate() throws InterruptedException {
      process.destroy();
      assertTrue(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), () -> "no exit after SIGTERM" + errors());
      return process.exitValue();
    }

    @Override
    public void close() {
      process.destroyForcibly();
    }
  }

  private static void drain(InputStream in) {
    try {
      in.transferTo(OutputStreamNull.INSTANCE);
    } catch (IOException ignored) {
      // the child ended
    }
  }

  /** Discards what it is given. */
  private static final class OutputStreamNull extends java.io.OutputStream {
    static final OutputStreamNull INSTANCE = new OutputStreamNull();

    @Override
    public void write(int b) {}

    @Override
    public void write(byte[] b, int off, int len) {}
  }

  /**
   * Finding 1: 4 000 connections each sending a 4-byte length of 1 MiB and one byte used to pin
   * 1 MiB each (2 000 of them took a JVM to 2.7 GB; under a small heap the server died for good).
   * Now each holds what it sent: under a 64 MiB heap the server answers a valid client meanwhile,
   * gives every descriptor back when the attackers leave, and exits 0 on SIGTERM.
   */
  @Test
  void fourThousandHeadersAnnouncingAMebibyteEachLeaveASmallHeapServerResponsive(@TempDir Path dir)
      throws Exception {
    try (Child child = Child.start(dir, List.of("-Xmx64m"),
        "length-echo", "--host", "127.0.0.1", "--port", "0")) {
      InetSocketAddress server = child.address();
      long idleDescriptors = child.descriptors();
      List<SocketChannel> attackers = new ArrayList<>();
      try {
        for (int i = 0; i < 4000; i++) {
          SocketChannel a = SocketChannel.open(server);
          attackers.add(a);
          a.write(ByteBuffer.wrap(new byte[] {0, 0x10, 0, 0, 'x'})); // 1 048 576 announced, 1 sent
        }
        Await.until("4000 connections held", WAIT, () -> descriptorsAtLeast(child, idleDescriptors + 4000));
        long rss = child.residentKiB();
        System.out.printf("length-echo under -Xmx64m holding 4000 announced MiB frames: RSS %d KiB%n", rss);
        assertTrue(rss < 192 * 1024, "RSS " + rss + " KiB: the 64 MiB heap plus the JVM's own ~100 MiB");
        byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(hello, exchangeFrame(server, hello), child::errors);
      } finally {
        for (SocketChannel a : attackers) {
          a.close();
        }
      }
      Await.until("descriptors given back", WAIT, () -> !descriptorsAtLeast(child, idleDescriptors + 50));
      assertArrayEquals(new byte[] {1, 2, 3}, exchangeFrame(server, new byte[] {1, 2, 3}), child::errors);
      assertEquals(0, child.terminate(), child::errors);
      assertFalse(child.errors().contains("OutOfMemoryError"), child::errors);
    }
  }

  /**
   * The inbound budget under a small heap: 320 connections each sending 200 KiB of a 1 MiB frame
   * (62.5 MiB in partial frames) against a 64 MiB heap, whose default budget is a quarter of it. The
   * connections that find no room are closed, the heap never runs out, a valid client is
   * answered throughout and after, and SIGTERM exits 0.
   */
  @Test
  void partialFramesPastTheBudgetUnderASmallHeapCloseConnectionsNotTheServer(@TempDir Path dir)
      throws Exception {
    try (Child child = Child.start(dir, List.of("-Xmx64m"),
        "length-echo", "--host", "127.0.0.1", "--port", "0")) {
      InetSocketAddress server = child.address();
      List<SocketChannel> attackers = new ArrayList<>();
      ByteBuffer body = ByteBuffer.allocate(200 * 1024);
      try {
        for (int i = 0; i < 320; i++) {
          SocketChannel a = SocketChannel.open(server);
          attackers.add(a);
          a.write(ByteBuffer.wrap(new byte[] {0, 0x10, 0, 0})); // 1 048 576 announced
          try {
            a.write(body.clear()); // blocks only while the server has not read it yet
          } catch (IOException closedForTheBudget) {
            // the server closed it: no room
          }
        }
        byte[] hello = "still here".getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(hello, exchangeFrame(server, hello), child::errors);
        Await.until("the budget reported", WAIT, () -> lines(child.stderr()).stream()
            .anyMatch(l -> l.contains("Inbound memory budget of")));
      } finally {
        for (SocketChannel a : attackers) {
          a.close();
        }
      }
      assertArrayEquals(new byte[] {9}, exchangeFrame(server, new byte[] {9}), child::errors);
      assertEquals(0, child.terminate(), child::errors);
      assertFalse(child.errors().contains("OutOfMemoryError"), child::errors);
    }
  }

  /**
   * Finding 4: every connection from an untrusted source used to log a line (5 000 in 1.4 s); now
   * the first ten of a 10 s window are logged, then one summary line counts the rest, and the
   * wording says what happened (it used to say the client left before it was served).
   */
  @Test
  void untrustedProxySourcesAreLoggedAtABoundedRateWithOneSummary(@TempDir Path dir) throws Exception {
    try (Child child = Child.start(dir, List.of(),
        "echo", "--host", "127.0.0.1", "--port", "0", "--proxy-protocol", "--trusted", "192.0.2.1/32")) {
      InetSocketAddress server = child.address();
      for (int i = 0; i < 300; i++) {
        try (Socket s = new Socket(server.getAddress(), server.getPort())) {
          s.setSoTimeout((int) WAIT.toMillis());
          s.getInputStream().readAllBytes(); // closed by the server: not a trusted proxy
        } catch (IOException reset) {
          // closed too
        }
      }
      // Every rejection is either logged or counted in a summary: 300 in all. On a slow machine
      // the 300 may span two windows, so lines and summaries are added up, not assumed.
      Supplier<List<String>> lines = () -> lines(child.stderr());
      Await.until("300 rejections logged or summarised", WAIT, () -> {
        List<String> all = lines.get();
        long logged = all.stream().filter(l -> l.contains("is not a trusted proxy")).count();
        long summarised = all.stream().filter(l -> l.contains("not coming from a trusted proxy: "))
            .mapToLong(l -> Long.parseLong(l.replaceAll(".*trusted proxy: (\\d+) more like this.*", "$1")))
            .sum();
        return logged + summarised == 300;
      });
      List<String> all = lines.get();
      assertTrue(all.stream().anyMatch(l -> l.contains("more like this")), "no summary line: one line per rejection");
      int summary = 0;
      while (!all.get(summary).contains("more like this")) {
        summary++;
      }
      long beforeSummary = all.subList(0, summary).stream()
          .filter(l -> l.contains("is not a trusted proxy")).count();
      assertEquals(10, beforeSummary, child::errors);
      assertFalse(child.errors().contains("left before it was served"), child::errors);
      assertEquals(0, child.terminate(), child::errors);
    }
  }

  /**
   * Finding 4, accept failures: with its descriptors exhausted the server used to log "Too many
   * open files" every 100 ms for as long as it lasted. Now it backs off (10 ms, doubling to 1 s),
   * logs at most ten lines a window and then a summary, and serves again once descriptors free.
   */
  @Test
  void acceptFailuresBackOffAndAreLoggedAtABoundedRate(@TempDir Path dir) throws Exception {
    try (Child child = Child.start(dir, 160, List.of(),
        "length-echo", "--host", "127.0.0.1", "--port", "0")) {
      InetSocketAddress server = child.address();
      Supplier<List<String>> failures = () -> lines(child.stderr()).stream()
          .filter(l -> l.contains("Accept failed") || l.contains("Accept failures")).toList();
      List<SocketChannel> clients = new ArrayList<>();
      try {
        while (failures.get().isEmpty() && clients.size() < 400) {
          clients.add(SocketChannel.open(server)); // each takes a descriptor in the server
        }
        Await.until("the summary of accept failures", WAIT,
            () -> failures.get().stream().anyMatch(l -> l.contains("more like this")));
        List<String> logged = failures.get();
        // The first window: what follows its summary belongs to the next one.
        logged = logged.subList(0, logged.indexOf(logged.stream()
            .filter(l -> l.contains("more like this")).findFirst().orElseThrow()));
        List<Long> pauses = logged.stream().filter(l -> l.contains("retrying in"))
            .map(l -> Long.parseLong(l.replaceAll(".*retrying in (\\d+) ms.*", "$1"))).toList();
        assertEquals(10, pauses.size(), child::errors);
        assertEquals(List.of(10L, 20L, 40L, 80L, 160L, 320L, 640L, 1000L, 1000L, 1000L), pauses);
      } finally {
        for (SocketChannel c : clients) {
          c.close();
        }
      }
      assertArrayEquals(new byte[] {4, 2}, exchangeFrame(server, new byte[] {4, 2}), child::errors);
      assertEquals(0, child.terminate(), child::errors);
    }
  }

  /**
   * Finding 6, wording: an over-long Unix datagram used to be logged as "Closing connection from
   * ..." (a datagram server has no connection); now the line says the datagram was dropped.
   */
  @Test
  void anOverLongDatagramIsLoggedAsDroppedNotAsAClosedConnection(@TempDir Path dir) throws Exception {
    Path socket = dir.resolve("d.sock");
    try (Child child = Child.start(dir, List.of(), "unix-dgram-echo", "--path", socket.toString())) {
      Process python = new ProcessBuilder("python3", "-c",
          "import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM);"
              + " s.sendto(b'x' * 100000, sys.argv[1])", socket.toString())
          .redirectErrorStream(true).start();
      assertTrue(python.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "python3 did not finish");
      String said = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, python.exitValue(), () -> "python3: " + said);
      Await.until("the over-long datagram reported", WAIT,
          () -> lines(child.stderr()).stream().anyMatch(l -> l.contains("the datagram was dropped")));
      assertFalse(child.errors().contains("Closing connection"), child::errors);
      assertTrue(child.errors().contains("100000"), child::errors);
      assertEquals(0, child.terminate(), child::errors);
    }
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException e) {
      return List.of();
    }
  }

  private static boolean descriptorsAtLeast(Child child, long n) {
    try {
      return child.descriptors() >= n;
    } catch (IOException e) {
      return false;
    }
  }

  /** Sends one length-prefixed frame on a new connection and returns the frame echoed. */
  private static byte[] exchangeFrame(InetSocketAddress server, byte[] frame) throws IOException {
    try (Socket s = new Socket(server.getAddress(), server.getPort())) {
      s.setSoTimeout((int) WAIT.toMillis());
      s.getOutputStream().write(ByteBuffer.allocate(4 + frame.length).putInt(frame.length).put(frame).array());
      byte[] echoed = s.getInputStream().readNBytes(4 + frame.length);
      return java.util.Arrays.copyOfRange(echoed, 4, echoed.length);
    }
  }
}
