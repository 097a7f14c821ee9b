package dev.socketserver.engine.tls;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.ConnectionOptions;
import dev.socketserver.api.TlsOptions;
import dev.socketserver.api.testing.Await;
import dev.socketserver.api.testing.TestCertificates;
import dev.socketserver.engine.stream.BufferPools;
import dev.socketserver.engine.stream.ChannelConnection;
import dev.socketserver.engine.stream.Poller;
import dev.socketserver.engine.telemetry.Counters;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A TLS layer over two real plain connections on 127.0.0.1: its buffers and its deadlines. */
@Timeout(30)
class TlsConnectionTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private ChannelConnection clientRaw;
  private ChannelConnection serverRaw;

  @BeforeEach
  void connect() throws Exception {
    try (ServerSocketChannel listener = ServerSocketChannel.open()) {
      listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      clientRaw = open(SocketChannel.open(listener.getLocalAddress()));
      serverRaw = open(listener.accept());
    }
  }

  @AfterEach
  void close() {
    clientRaw.abort();
    serverRaw.abort();
    threads.shutdownNow();
  }

  private static ChannelConnection open(SocketChannel channel) throws Exception {
    ConnectionOptions options = ConnectionOptions.defaults();
    return ChannelConnection.open(
        channel, Poller.shared(), BufferPools.forOptions(options), options, new Counters());
  }

  private <T> CompletableFuture<T> async(Callable<T> task) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return task.call();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, threads);
  }

  private static void awaitParked(Thread t) {
    Await.until("the reader waiting", WAIT, () ->
        t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING);
  }

  /**
   * Record buffers are pooled and held only while they hold bytes: after an exchange, and while
   * the server's reader waits for the next record, the connection holds none. (Before, each TLS
   * connection kept three record buffers, about 50 KB, for its whole life.)
   */
  @Test
  void aConnectionWaitingForItsNextRecordHoldsNoRecordBuffer() throws Exception {
    TestCertificates certs = TestCertificates.get();
    TlsConnection server = TlsConnection.server(
        serverRaw, TlsOptions.of(certs.serverContext()), 8192, new Counters());
    TlsConnection client = TlsConnection.client(
        clientRaw, TlsOptions.of(certs.clientContext()), "localhost", 8192);
    CompletableFuture<Void> accepted = async(() -> {
      server.handshake();
      return null;
    });
    client.handshake();
    accepted.get();

    client.output().write("one\n".getBytes(UTF_8));
    client.output().flush();
    assertEquals("one", server.readLine(100));
    assertFalse(server.holdsRecordBuffers(), "after the exchange");

    Thread[] reader = new Thread[1];
    CompletableFuture<String> next = async(() -> {
      reader[0] = Thread.currentThread();
      return server.readLine(100);
    });
    Await.until("the reader started", WAIT, () -> reader[0] != null);
    awaitParked(reader[0]);
    assertFalse(server.holdsRecordBuffers(), "while waiting for the next record");

    client.output().write("two\n".getBytes(UTF_8));
    client.output().flush();
    assertEquals("two", next.get());
    assertFalse(server.holdsRecordBuffers(), "after the second exchange");
  }

  /**
   * The handshake waits within its own deadline, passed to each read: the plain connection's read
   * timeout stays what it was while the handshake waits, and a peer that never speaks gets the
   * handshake's own timeout.
   */
  @Test
  void theHandshakeDeadlineLeavesTheConnectionsTimeoutAlone() throws Exception {
    serverRaw.readTimeout(Duration.ofMinutes(7));
    TlsConnection server = TlsConnection.server(
        serverRaw,
        TlsOptions.of(TestCertificates.get().serverContext()).handshakeTimeout(Duration.ofSeconds(2)),
        8192,
        new Counters());
    Thread[] shaker = new Thread[1];
    CompletableFuture<Void> handshake = async(() -> {
      shaker[0] = Thread.currentThread();
      server.handshake(); // the client never sends its hello
      return null;
    });
    Await.until("the handshake started", WAIT, () -> shaker[0] != null);
    awaitParked(shaker[0]);
    assertEquals(Duration.ofMinutes(7), serverRaw.readTimeout(), "while the handshake waits");
    Exception e = assertThrows(Exception.class, handshake::join);
    Throwable cause = e.getCause() == null ? e : e.getCause().getCause();
    assertTrue(cause instanceof SocketTimeoutException, String.valueOf(cause));
    assertTrue(cause.getMessage().startsWith("TLS handshake with"), cause.getMessage());
    assertEquals(Duration.ofMinutes(7), serverRaw.readTimeout(), "after");
  }
}
