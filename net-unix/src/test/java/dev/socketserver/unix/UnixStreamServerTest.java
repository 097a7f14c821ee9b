package dev.socketserver.unix;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Connection;
import dev.socketserver.api.Framing;
import dev.socketserver.api.Handlers;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.Server;
import dev.socketserver.api.testing.Await;
import java.io.IOException;
import java.net.BindException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What is particular to Unix stream servers: the socket file, peer credentials, a Python peer. */
@Timeout(60)
class UnixStreamServerTest {
  @TempDir Path dir;

  private static final RequestHandler<Connection> LINE_ECHO =
      c -> {
        for (String line; (line = c.readLine(8192)) != null; ) {
          c.output().write((line + "\n").getBytes(UTF_8));
        }
      };

  private static String exchange(Connection c, String line) throws IOException {
    c.output().write((line + "\n").getBytes(UTF_8));
    return c.readLine(8192);
  }

  private static String permissions(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
  }

  static int ourUid() throws IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }

  @Test
  void aStaleSocketFileIsReplaced() throws Exception {
    Path p = dir.resolve("stale.sock");
    try (ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      old.bind(UnixDomainSocketAddress.of(p)); // closing a JDK channel leaves its file: stale
    }
    assertTrue(Files.exists(p));
    try (Server _ = UnixStreamServer.builder().bind(p).handler(LINE_ECHO).build().start();
        Connection c = UnixClient.connect(p)) {
      assertEquals("fresh", exchange(c, "fresh"));
    }
  }

  @Test
  void aLiveSocketIsRefusedAndKeepsServing() throws Exception {
    Path p = dir.resolve("live.sock");
    try (Server _ = UnixStreamServer.builder().bind(p).handler(LINE_ECHO).build().start()) {
      BindException e = assertThrows(BindException.class,
          () -> UnixStreamServer.builder().bind(p).handler(LINE_ECHO).build());
      assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("another server"), e.getMessage());
      try (Connection c = UnixClient.connect(p)) {
        assertEquals("still", exchange(c, "still"));
      }
    }
  }

  @Test
  void aFileThatIsNotASocketIsRefusedWithItsKindAndKept() throws Exception {
    Path p = Files.writeString(dir.resolve("data.txt"), "precious");
    FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
        () -> UnixStreamServer.builder().bind(p).handler(LINE_ECHO).build());
    assertTrue(e.getMessage().contains("is a regular file, not a socket"), e.getMessage());
    assertEquals("precious", Files.readString(p));
    Path d = Files.createDirectory(dir.resolve("adir"));
    e = assertThrows(FileAlreadyExistsException.class,
        () -> UnixStreamServer.builder().bind(d).handler(LINE_ECHO).build());
    assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
  }

  @Test
  void theSocketFileIsRemovedOnClose() throws Exception {
    Path p = dir.resolve("gone.sock");
    Server server = UnixStreamServer.builder().bind(p).handler(LINE_ECHO).build();
    assertTrue(Files.exists(p, LinkOption.NOFOLLOW_LINKS));
    server.close();
    assertFalse(Files.exists(p, LinkOption.NOFOLLOW_LINKS));
    Server started = UnixStreamServer.builder().bind(p).handler(LINE_ECHO).build().start();
    try (Connection c = UnixClient.connect(p)) {
      assertEquals("x", exchange(c, "x"));
    }
    started.close();
    assertFalse(Files.exists(p, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void aPathOverTheKernelLimitIsRefusedAtBuild() {
    Path p = dir.resolve("x".repeat(Math.max(1, 108 - dir.toString().length())) + ".sock");
    IOException e = assertThrows(IOException.class,
        () -> UnixStreamServer.builder().bind(p).handler(LINE_ECHO).build());
    assertTrue(e.getMessage().contains("too long") && e.getMessage().contains("107"), e.getMessage());
    assertFalse(Files.exists(p));
  }

  @Test
  void permissionsAreOwnerOnlyByDefaultAndConfigurable() throws Exception {
    Path p = dir.resolve("perm.sock");
    try (Server _ = UnixStreamServer.builder().bind(p).handler(LINE_ECHO).build()) {
      assertEquals("rw-------", permissions(p));
    }
    try (Server _ = UnixStreamServer.builder().bind(p).permissions("rw-rw----").handler(LINE_ECHO).build()) {
      assertEquals("rw-rw----", permissions(p));
    }
  }

  @Test
  void permissionsWiderThanTheUmaskAllowsAreSetExactly() throws Exception {
    Path p = dir.resolve("wide.sock");
    try (Server _ = UnixStreamServer.builder().bind(p).permissions("rw-rw-rw-").handler(LINE_ECHO).build()) {
      assertEquals("rw-rw-rw-", permissions(p));
    }
  }

  @Test
  void peerCredentialsAreThisProcesssUser() throws Exception {
    Path p = dir.resolve("cred.sock");
    CompletableFuture<PeerCredentials> seen = new CompletableFuture<>();
    try (Server _ = UnixStreamServer.builder().bind(p)
        .handler(c -> seen.complete(UnixStreamServer.peerCredentials(c))).build().start();
        Connection c = UnixClient.connect(p)) {
      PeerCredentials creds = seen.get(10, TimeUnit.SECONDS);
      assertEquals(System.getProperty("user.name"), creds.user());
      assertEquals(ourUid(), creds.uid().orElseThrow());
      assertEquals(Files.getAttribute(Path.of("/proc/self"), "unix:gid"), creds.gid().orElseThrow());
      assertTrue(creds.pid().isEmpty(), "the JDK does not expose a stream peer's pid");
      assertEquals(-1, c.input().read());
    }
  }

  @Test
  void aUserFilterAdmitsOurUserByNameAndUid() throws Exception {
    Path p = dir.resolve("ours.sock");
    assertThrows(IllegalArgumentException.class, () -> UnixStreamServer.allowUsers("no-such-user-xyz"));
    for (var allow : java.util.List.of(
        UnixStreamServer.allowSameUser(),
        UnixStreamServer.allowUsers(Integer.toString(ourUid())),
        UnixStreamServer.allowUsers(System.getProperty("user.name"), "65534"))) {
      try (Server server = UnixStreamServer.builder().bind(p).filter(allow).handler(LINE_ECHO).build().start();
          Connection c = UnixClient.connect(p)) {
        assertEquals("in", exchange(c, "in"), allow.toString());
        assertEquals(0, server.metrics().rejected());
      }
    }
  }

  @Test
  void aUserOrGroupFilterRefusesAUidThatIsNotOurs() throws Exception {
    Path p = dir.resolve("theirs.sock");
    int other = ourUid() == 54321 ? 54322 : 54321;
    for (var deny : java.util.List.of(
        UnixStreamServer.allowUsers(Integer.toString(other)),
        UnixStreamServer.allowGroups(Integer.toString(other)))) {
      AtomicReference<Connection> handled = new AtomicReference<>();
      try (Server server = UnixStreamServer.builder().bind(p).filter(deny).handler(handled::set).build().start();
          Connection c = UnixClient.connect(p)) {
        assertEquals(-1, c.input().read(), deny.toString()); // closed unhandled
        Await.until("rejected", Duration.ofSeconds(10), () -> server.metrics().rejected() == 1);
        assertEquals(null, handled.get());
      }
    }
  }

  @Test
  void aPythonStreamClientTalksToOurServer() throws Exception {
    Path p = dir.resolve("py.sock");
    try (Server _ = UnixStreamServer.builder().bind(p).handler(LINE_ECHO).build().start()) {
      String out = Python.run("""
          import socket, sys
          s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
          s.connect(sys.argv[1])
          f = s.makefile('rwb')
          for i in range(3):
              f.write(b'hello %d from python\\n' % i); f.flush()
              sys.stdout.write(f.readline().decode())
          """, p.toString());
      assertEquals("hello 0 from python\nhello 1 from python\nhello 2 from python\n", out);
    }
  }

  @Test
  void ourClientTalksToAPythonServer() throws Exception {
    Path p = dir.resolve("pyserver.sock");
    CompletableFuture<String> python = CompletableFuture.supplyAsync(() -> {
      try {
        return Python.run("""
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(sys.argv[1]); s.listen(1)
            print('ready', flush=True)
            c, _ = s.accept()
            data = c.makefile('rb').readline()
            c.sendall(data.upper())
            c.close()
            """, p.toString());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    Await.until("python listening", Duration.ofSeconds(20), () -> Files.exists(p));
    Connection c = connectWhenListening(p);
    try (c) {
      assertEquals("SHOUT", exchange(c, "shout"));
    }
    assertEquals("ready\n", python.get(20, TimeUnit.SECONDS));
  }

  private static Connection connectWhenListening(Path p) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        return UnixClient.connect(p);
      } catch (java.net.ConnectException e) { // bound, not yet listening
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.onSpinWait();
      }
    }
  }

  @Test
  void handlersLinesGivesAnIdleConnectionsThreadBack() throws Exception {
    Path p = dir.resolve("turns.sock");
    LinkedBlockingQueue<Thread> answeredBy = new LinkedBlockingQueue<>();
    RequestHandler<Connection> upper = Handlers.lines(64, line -> {
      answeredBy.add(Thread.currentThread());
      return line.toUpperCase(Locale.ROOT);
    });
    try (Server server = UnixStreamServer.builder().bind(p).handler(upper).build().start();
        Connection c = UnixClient.connect(p)) {
      assertEquals("ONE", exchange(c, "one"));
      Thread first = answeredBy.take();
      assertTrue(first.join(Duration.ofSeconds(10)), "the idle connection's thread did not end");
      assertEquals("TWO", exchange(c, "two"));
      assertNotSame(first, answeredBy.take());
      assertEquals(1, server.metrics().active());
    }
  }

  @Test
  void handlersNonBlockingAnswersLaterMessagesOnThePoller() throws Exception {
    Path p = dir.resolve("inline.sock");
    LinkedBlockingQueue<Thread> answeredBy = new LinkedBlockingQueue<>();
    RequestHandler<Connection> upper = Handlers.nonBlocking(Framing.lines(64), line -> {
      answeredBy.add(Thread.currentThread());
      return new String(line, UTF_8).toUpperCase(Locale.ROOT).getBytes(UTF_8);
    });
    try (Server server = UnixStreamServer.builder().bind(p).pollers(1).handler(upper).build().start();
        Connection c = UnixClient.connect(p)) {
      assertEquals("ONE", exchange(c, "one"));
      Thread first = answeredBy.take(); // the request's first thread, or the poller
      if (!first.getName().startsWith("socketserver-poller ")) {
        // Its first turn may still be finishing (and take the next line itself) until it ends.
        assertTrue(first.join(Duration.ofSeconds(10)), "the request's own thread did not end");
      }
      assertEquals("TWO", exchange(c, "two"));
      Thread second = answeredBy.take();
      assertTrue(second.getName().startsWith("socketserver-poller "), second.toString());
      assertEquals("THREE", exchange(c, "three"));
      assertSame(second, answeredBy.take());
      assertEquals(1, server.metrics().active());
    }
  }
}
