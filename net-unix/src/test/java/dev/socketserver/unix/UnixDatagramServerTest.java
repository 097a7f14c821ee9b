package dev.socketserver.unix;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Datagram;
import dev.socketserver.api.FrameTooLongException;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.Server;
import java.io.IOException;
import java.net.BindException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is Unix-specific about datagram servers and clients over FFM: socket files, abstract names,
 * unbound senders, credentials, the native wait, a Python peer. What every datagram server does is
 * proved by {@link UnixDatagramServerContractTest}.
 */
@Timeout(60)
class UnixDatagramServerTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final RequestHandler<Datagram> ECHO = d -> d.reply(d.payload());

  @TempDir Path dir;

  private UnixDatagramServer.Builder builder(String name) {
    return UnixDatagramServer.builder().bind(dir.resolve(name));
  }

  private static Path path(UnixDatagramServer server) {
    return server.path();
  }

  @Test
  void aDirectBufferIsSentFromItsPositionToItsLimit() throws Exception {
    byte[] data = new byte[4096];
    new Random(4096).nextBytes(data);
    try (UnixDatagramServer server = builder("direct.sock").handler(ECHO).build().start();
        UnixDatagramClient c = UnixClient.datagram(path(server))) {
      ByteBuffer direct = ByteBuffer.allocateDirect(data.length + 10).position(10).put(data).position(10);
      c.send(direct);
      assertFalse(direct.hasRemaining());
      assertArrayEquals(data, c.receive(WAIT).bytes());
    }
  }

  @Test
  void aDatagramFromAnUnboundSenderIsHandledAndAReplyToItFailsClearly() throws Exception {
    CompletableFuture<Datagram> got = new CompletableFuture<>();
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    try (UnixDatagramServer server = builder("anon.sock")
        .errorHandler((d, e) -> failure.complete(e))
        .handler(d -> {
          got.complete(d);
          d.reply(d.payload());
        }).build().start()) {
      Python.run("""
          import socket, sys
          s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
          s.sendto(b'anonymous', sys.argv[1])
          """, path(server).toString());
      Datagram d = got.get(10, TimeUnit.SECONDS);
      assertEquals("anonymous", new String(d.bytes(), UTF_8));
      assertEquals(UnixDomainSocketAddress.of(""), d.sender());
      Throwable e = failure.get(10, TimeUnit.SECONDS);
      assertInstanceOf(IOException.class, e);
      assertTrue(e.getMessage().contains("not bound"), e.getMessage());
      assertEquals(Server.State.RUNNING, server.state());
    }
  }

  @Test
  void aDatagramOverTheMaximumIsReportedWithItsRealSize() throws Exception {
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    try (UnixDatagramServer server = builder("max.sock")
        .maxDatagramSize(100)
        .errorHandler((d, e) -> failure.complete(e))
        .handler(ECHO).build().start();
        UnixDatagramClient c = UnixClient.datagram(path(server))) {
      c.send(new byte[1234]);
      FrameTooLongException e = assertInstanceOf(FrameTooLongException.class, failure.get(10, TimeUnit.SECONDS));
      assertEquals(1234, e.size()); // the kernel says; UDP can only say "over 100"
      assertEquals(100, e.limit());
    }
  }

  @Test
  void aClientReceivingMoreThanItsMaximumGetsFrameTooLong() throws Exception {
    try (UnixDatagramServer server = builder("cmax.sock").handler(d -> d.reply(new byte[500])).build().start();
        UnixDatagramClient c = UnixClient.datagram(path(server))) {
      c.send(new byte[1]);
      FrameTooLongException e = assertThrows(FrameTooLongException.class, () -> c.receive(WAIT, 499));
      assertEquals(500, e.size());
      assertThrows(SocketTimeoutException.class, () -> c.receive(Duration.ofMillis(20)));
    }
  }

  @Test
  void theClientReceivesDatagramsWithTheirSenderAndRepliesFromItsOwnSocket() throws Exception {
    CompletableFuture<SocketAddress> thanked = new CompletableFuture<>();
    try (UnixDatagramServer server = builder("pingpong.sock").handler(d -> {
      if ("ping".equals(new String(d.bytes(), UTF_8))) {
        d.reply("pong".getBytes(UTF_8));
      } else {
        thanked.complete(d.sender());
      }
    }).build().start();
        UnixDatagramClient c = UnixClient.datagram(path(server))) {
      c.send("ping".getBytes(UTF_8));
      Datagram pong = c.receive(WAIT);
      assertEquals("pong", new String(pong.bytes(), UTF_8));
      assertEquals(server.localAddress(), pong.sender());
      assertEquals(c.localAddress(), pong.localAddress());
      assertEquals(ProcessHandle.current().pid(), UnixDatagramServer.peerCredentials(pong).pid().orElseThrow());
      pong.reply("thanks".getBytes(UTF_8));
      assertEquals(c.localAddress(), thanked.get(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void shutdownWakesAReceiveBlockedOnAVirtualThreadPromptly() throws Exception {
    UnixDatagramServer server = builder("wake.sock").handler(ECHO).build();
    CompletableFuture<Void> serving = new CompletableFuture<>();
    Thread.ofVirtual().start(() -> {
      server.serveForever();
      serving.complete(null);
    });
    try (UnixDatagramClient c = UnixClient.datagram(path(server))) {
      c.send("up?".getBytes(UTF_8));
      assertEquals("up?", new String(c.receive(WAIT).bytes(), UTF_8)); // the loop is waiting now
    }
    long start = System.nanoTime();
    server.shutdown();
    serving.get(5, TimeUnit.SECONDS);
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "shutdown took too long");
    server.close();
    assertEquals(Server.State.TERMINATED, server.state());
    assertFalse(Files.exists(path(server)));
  }

  @Test
  void interruptingAPlatformServingThreadBlockedInPollShutsTheServerDown() throws Exception {
    UnixDatagramServer server = builder("intr.sock").handler(ECHO).build();
    Thread serving = Thread.ofPlatform().start(server::serveForever);
    try (UnixDatagramClient c = UnixClient.datagram(path(server))) {
      c.send("up?".getBytes(UTF_8));
      assertEquals("up?", new String(c.receive(WAIT).bytes(), UTF_8));
    }
    serving.interrupt();
    assertTrue(server.awaitTermination(WAIT), server::toString);
    serving.join();
  }

  @Test
  void peerCredentialsAreThisProcesssPidUidAndUser() throws Exception {
    CompletableFuture<PeerCredentials> seen = new CompletableFuture<>();
    try (UnixDatagramServer server = builder("cred.sock")
        .handler(d -> seen.complete(UnixDatagramServer.peerCredentials(d))).build().start();
        UnixDatagramClient c = UnixClient.datagram(path(server))) {
      c.send(new byte[] {1});
      PeerCredentials creds = seen.get(10, TimeUnit.SECONDS);
      assertEquals(ProcessHandle.current().pid(), creds.pid().orElseThrow());
      assertEquals(UnixStreamServerTest.ourUid(), creds.uid().orElseThrow());
      assertEquals(System.getProperty("user.name"), creds.user());
    }
  }

  @Test
  void socketFilesAreHandledAsForStreams() throws Exception {
    Path p = dir.resolve("files.sock");
    try (UnixDatagramServer first = UnixDatagramServer.builder().bind(p).handler(ECHO).build()) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
      BindException live = assertThrows(BindException.class,
          () -> UnixDatagramServer.builder().bind(p).handler(ECHO).build());
      assertTrue(live.getMessage().contains("another server"), live.getMessage());
      assertEquals(Server.State.NEW, first.state());
    }
    assertFalse(Files.exists(p, LinkOption.NOFOLLOW_LINKS));
    Path file = Files.writeString(dir.resolve("notes.txt"), "keep");
    FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
        () -> UnixDatagramServer.builder().bind(file).handler(ECHO).build());
    assertTrue(e.getMessage().contains("regular file, not a socket"), e.getMessage());
    Path tooLong = dir.resolve("y".repeat(120));
    IOException e2 = assertThrows(IOException.class,
        () -> UnixDatagramServer.builder().bind(tooLong).handler(ECHO).build());
    assertTrue(e2.getMessage().contains("too long"), e2.getMessage());
    try (UnixDatagramServer _ = UnixDatagramServer.builder().bind(p).permissions("rw-rw-rw-").handler(ECHO).build()) {
      assertEquals("rw-rw-rw-", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
    }
  }

  @Test
  void aStaleDatagramSocketFileIsReplaced() throws Exception {
    Path p = dir.resolve("stale.sock");
    Python.run("""
        import socket, sys
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind(sys.argv[1])
        """, p.toString()); // python exits: the file stays, nobody is bound
    assertTrue(Files.exists(p, LinkOption.NOFOLLOW_LINKS));
    try (UnixDatagramServer _ = UnixDatagramServer.builder().bind(p).handler(ECHO).build().start();
        UnixDatagramClient c = UnixClient.datagram(p)) {
      c.send("new".getBytes(UTF_8));
      assertEquals("new", new String(c.receive(WAIT).bytes(), UTF_8));
    }
  }

  @Test
  void anAbstractAddressServesAndLeavesNoFile() throws Exception {
    UnixAbstractAddress name = UnixAbstractAddress.of("socketserver-test-" + ProcessHandle.current().pid());
    UnixAbstractAddress clientName = UnixAbstractAddress.of("socketserver-test-client-" + ProcessHandle.current().pid());
    AtomicReference<SocketAddress> sender = new AtomicReference<>();
    try (UnixDatagramServer server = UnixDatagramServer.builder().bind(name).handler(d -> {
      sender.set(d.sender());
      d.reply(d.payload());
    }).build().start();
        UnixDatagramClient c = UnixClient.datagram(name, clientName)) {
      assertEquals(name, server.localAddress());
      c.send("abstract".getBytes(UTF_8));
      assertEquals("abstract", new String(c.receive(WAIT).bytes(), UTF_8));
      assertEquals(clientName, sender.get());
      assertEquals("@" + clientName.name(), sender.get().toString());
    }
  }

  @Test
  void theClientRemovesItsSocketFileAndDirectoryOnClose() throws Exception {
    try (UnixDatagramServer server = builder("cl.sock").handler(ECHO).build().start()) {
      UnixDatagramClient c = UnixClient.datagram(path(server));
      Path own = ((UnixDomainSocketAddress) c.localAddress()).getPath();
      assertTrue(Files.exists(own, LinkOption.NOFOLLOW_LINKS));
      c.close();
      c.close();
      assertFalse(Files.exists(own, LinkOption.NOFOLLOW_LINKS));
      assertFalse(Files.exists(own.getParent()));
      IOException e = assertThrows(IOException.class, () -> c.send(new byte[1]));
      assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
  }

  @Test
  void sendingToAPathWhereNobodyIsBoundNamesTheCallAndThePath() throws Exception {
    Path nobody = dir.resolve("nobody.sock");
    try (UnixDatagramClient c = UnixClient.datagram(nobody)) {
      IOException e = assertThrows(IOException.class, () -> c.send(new byte[1]));
      assertTrue(e.getMessage().startsWith("sendto(" + nobody + ") failed: No such file or directory"), e.getMessage());
    }
  }

  @Test
  void pythonDatagramClientsTalkToOurServer() throws Exception {
    try (UnixDatagramServer server = builder("py.sock").handler(d -> d.reply(
        new String(d.bytes(), UTF_8).toUpperCase(java.util.Locale.ROOT).getBytes(UTF_8))).build().start()) {
      String out = Python.run("""
          import os, socket, sys
          me = sys.argv[2]
          s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
          s.bind(me)
          s.settimeout(10)
          for i in range(3):
              s.sendto(b'python %d' % i, sys.argv[1])
              data, addr = s.recvfrom(100)
              print(data.decode(), addr == sys.argv[1])
          os.unlink(me)
          """, path(server).toString(), dir.resolve("pyclient.sock").toString());
      assertEquals("PYTHON 0 True\nPYTHON 1 True\nPYTHON 2 True\n", out);
    }
  }

  @Test
  void theNativeAccessMessageSaysWhichFlagToUse() {
    IOException e = Libc.nativeAccessDenied(new IllegalCallerException("denied"));
    assertTrue(e.getMessage().contains("--enable-native-access=dev.socketserver.unix"), e.getMessage());
  }
}
