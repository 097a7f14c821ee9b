package dev.socketserver.udp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Datagram;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.Server;
import dev.socketserver.api.testing.Descriptors;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.MembershipKey;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What is particular to UDP: binding, address families, multicast, kernel drops, descriptors. */
@Timeout(60)
class UdpServerTest {
  private static final InetAddress V4 = InetAddress.ofLiteral("127.0.0.1");
  private static final InetAddress V6 = InetAddress.ofLiteral("::1");
  private static final RequestHandler<Datagram> ECHO = d -> d.reply(d.payload());
  private static final Duration WAIT = Duration.ofSeconds(10);

  private static InetSocketAddress address(UdpServer server) {
    return server.localAddress();
  }

  private static String text(Datagram d) {
    return new String(d.bytes(), UTF_8);
  }

  // ---- binding ----

  @Test
  void bindingAPortInUseFailsWithTheAddressAndAFix() throws Exception {
    try (DatagramSocket holder = new DatagramSocket(new InetSocketAddress(V4, 0))) {
      BindException e = assertThrows(BindException.class, () -> UdpServer.builder()
          .bind("127.0.0.1", holder.getLocalPort())
          .handler(ECHO)
          .build());
      assertTrue(e.getMessage().contains("127.0.0.1:" + holder.getLocalPort()), e.getMessage());
      assertTrue(e.getMessage().contains("port 0"), e.getMessage());
    }
  }

  @Test
  void failedBuildsLeakNoDescriptor() throws Exception {
    try (DatagramSocket holder = new DatagramSocket(new InetSocketAddress(V4, 0))) {
      var inUse = UdpServer.builder().bind("127.0.0.1", holder.getLocalPort()).handler(ECHO);
      var badGroup = UdpServer.builder().bind("127.0.0.1", 0).handler(ECHO)
          .joinGroup(InetAddress.ofLiteral("ff02::1:3"), loopbackInterface());
      long before = Descriptors.open();
      for (int i = 0; i < 1024; i++) {
        assertThrows(BindException.class, inUse::build);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, badGroup::build);
        assertTrue(e.getMessage().contains("ff02"), e.getMessage());
      }
      assertEquals(before, Descriptors.open());
    }
  }

  /**
   * UdpServer wraps its core: a {@code Server} method neither it nor its base ForwardingServer
   * declares, a default included, would run on the wrapper instead of the core (as {@code drain}
   * once did, waiting for itself when a handler called it).
   */
  @Test
  void everyServerMethodIsForwardedToTheCore() {
    List<String> missing = Arrays.stream(Server.class.getMethods())
        .filter(m -> !Modifier.isStatic(m.getModifiers()))
        .filter(m -> !declaredByUdpServer(m))
        .map(Method::toString)
        .toList();
    assertEquals(List.of(), missing, "Server methods UdpServer does not forward to its core");
  }

  /** Whether UdpServer's public method of {@code m}'s signature is a class's, not the interface's. */
  private static boolean declaredByUdpServer(Method m) {
    try {
      return UdpServer.class.getMethod(m.getName(), m.getParameterTypes()).getDeclaringClass() != Server.class;
    } catch (NoSuchMethodException e) {
      throw new AssertionError(e); // UdpServer implements Server: it has every method
    }
  }

  @Test
  void rejectsBadOptionsWithTheirValues() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> UdpServer.builder().bind("127.0.0.1", 70000));
    assertTrue(e.getMessage().contains("70000"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> UdpServer.builder().joinGroup(V4, loopbackInterface()));
    assertTrue(e.getMessage().contains("127.0.0.1"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> UdpServer.builder().maxDatagramSize(0));
  }

  @Test
  void aMissingAddressFailsTheBuild() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> UdpServer.builder().handler(ECHO).build());
    assertTrue(e.getMessage().contains("bind"), e.getMessage());
  }

  // ---- address families ----

  @Test
  void servesOverIpv6Loopback() throws Exception {
    try (UdpServer server = UdpServer.builder().bind(new InetSocketAddress(V6, 0))
        .handler(d -> d.reply(d.sender().toString().getBytes(UTF_8))).build().start();
        UdpClient client = UdpClient.open(new InetSocketAddress(V6, 0))) {
      assertInstanceOf(Inet6Address.class, address(server).getAddress());
      Datagram reply = client.request(address(server), new byte[] {1}, WAIT);
      assertEquals(server.localAddress(), reply.sender());
      assertTrue(text(reply).contains("0:0:0:0:0:0:0:1"), text(reply));
    }
  }

  // ---- multicast ----

  @Test
  void receivesAGroupJoinedOnTheLoopbackInterfaceAndLeavesIt() throws Exception {
    NetworkInterface lo = loopbackInterface();
    InetAddress group = InetAddress.ofLiteral("239.255.77.7");
    assumeLoopbackMulticast(lo, group);
    CompletableFuture<Datagram> got = new CompletableFuture<>();
    // Bound to the group address, not the wildcard, so the test stays on loopback; such a socket
    // cannot reply (a group address is no source address), so the handler only records.
    try (UdpServer server = UdpServer.builder()
        .bind(new InetSocketAddress(group, 0))
        .joinGroup(group, lo)
        .handler(got::complete)
        .build().start();
        DatagramChannel sender = multicastSender(lo)) {
      sender.send(ByteBuffer.wrap("to the group".getBytes(UTF_8)),
          new InetSocketAddress(group, address(server).getPort()));
      Datagram d = got.get(10, TimeUnit.SECONDS);
      assertEquals("to the group", text(d));
      assertEquals(sender.getLocalAddress(), d.sender());
      MembershipKey key = server.joinGroup(group, lo); // already a member: the builder's key
      assertTrue(key.isValid());
      assertTrue(server.leaveGroup(group, lo));
      assertFalse(key.isValid());
      assertFalse(server.leaveGroup(group, lo));
    }
  }

  private static NetworkInterface loopbackInterface() {
    try {
      NetworkInterface lo = NetworkInterface.getByInetAddress(V4);
      assumeTrue(lo != null, "no network interface holds 127.0.0.1");
      return lo;
    } catch (IOException e) {
      return abort("cannot list network interfaces: " + e);
    }
  }

  private static DatagramChannel multicastSender(NetworkInterface lo) throws IOException {
    DatagramChannel sender = DatagramChannel.open(StandardProtocolFamily.INET);
    try {
      sender.setOption(StandardSocketOptions.IP_MULTICAST_IF, lo);
      sender.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, true);
      sender.bind(new InetSocketAddress(V4, 0));
      return sender;
    } catch (IOException | RuntimeException e) {
      sender.close();
      throw e;
    }
  }

  /** Skips the test unless plain JDK sockets can multicast over the loopback interface here. */
  private static void assumeLoopbackMulticast(NetworkInterface lo, InetAddress group) {
    try (DatagramChannel receiver = DatagramChannel.open(StandardProtocolFamily.INET);
        DatagramChannel sender = multicastSender(lo)) {
      receiver.bind(new InetSocketAddress(group, 0));
      receiver.join(group, lo);
      receiver.socket().setSoTimeout(2000);
      int port = ((InetSocketAddress) receiver.getLocalAddress()).getPort();
      sender.send(ByteBuffer.wrap(new byte[] {42}), new InetSocketAddress(group, port));
      receiver.socket().receive(new java.net.DatagramPacket(new byte[1], 1));
    } catch (IOException | UnsupportedOperationException e) {
      abort("the kernel does not deliver multicast over the loopback interface " + lo.getName()
          + " here (" + e + "); on Linux `ip link set lo multicast on` enables it");
    }
  }

  // ---- kernel drops ----

  @Test
  void datagramsTheKernelDropsWhileTheLimitIsReachedAreCounted() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch inHandler = new CountDownLatch(1);
    try (UdpServer server = UdpServer.builder().bind("127.0.0.1", 0)
        .receiveBufferSize(1) // the kernel's minimum: a few datagrams
        .concurrency(Concurrency.virtualThreads().limit(1))
        .handler(d -> {
          inHandler.countDown();
          release.await();
        }).build().start();
        UdpClient client = UdpClient.open(new InetSocketAddress(V4, 0))) {
      assumeTrue(server.kernelDrops().isPresent(), "this OS shows no per-socket drop count");
      assertEquals(OptionalLong.of(0), server.kernelDrops());
      client.send(address(server), new byte[1000]);
      inHandler.await(); // the only slot is taken: the receive loop waits
      for (int i = 0; i < 200; i++) {
        client.send(address(server), new byte[1000]);
      }
      // On loopback the sender's send queues (or drops) into the server's buffer synchronously.
      long dropped = server.kernelDrops().orElseThrow();
      assertTrue(dropped > 0 && dropped <= 200, "dropped " + dropped);
      release.countDown();
      server.shutdown();
      assertTrue(server.awaitTermination(WAIT));
      assertEquals(OptionalLong.of(dropped), server.kernelDrops()); // kept after termination
    }
  }

  // ---- client ----

  @Test
  void aRequestTakesOnlyTheServersReplyAndTimesOutClearly() throws Exception {
    try (UdpServer server = UdpServer.builder().bind("127.0.0.1", 0).handler(ECHO).build().start();
        UdpClient client = UdpClient.open(new InetSocketAddress(V4, 0));
        UdpClient stranger = UdpClient.open(new InetSocketAddress(V4, 0))) {
      InetSocketAddress me = client.localAddress();
      stranger.send(me, "noise".getBytes(UTF_8)); // queued first, dropped by request()
      assertEquals("ping", text(client.request(address(server), "ping".getBytes(UTF_8), WAIT)));
      try (UdpClient silent = UdpClient.open(new InetSocketAddress(V4, 0))) {
        SocketTimeoutException e = assertThrows(SocketTimeoutException.class,
            () -> client.request(silent.localAddress(), new byte[1], Duration.ofMillis(50)));
        assertTrue(e.getMessage().contains("PT0.05S"), e.getMessage());
      }
      Datagram reply = client.request(address(server), "again".getBytes(UTF_8), WAIT);
      reply.reply("back".getBytes(UTF_8)); // from the client's socket: the server echoes it
      assertEquals("back", text(client.receive(WAIT)));
    }
  }
}
