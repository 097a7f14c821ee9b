package dev.socketserver.tcp;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Connection;
import dev.socketserver.api.DrainReport;
import dev.socketserver.api.Handlers;
import dev.socketserver.api.Server;
import dev.socketserver.api.testing.Await;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * HAProxy's agent check: the server answers {@code up}, then {@code drain} as soon as a drain
 * begins, and goes on accepting for the drain grace, so the balancer moves new connections away
 * before the listener closes; the agent closes with the server.
 */
@Timeout(60)
class AgentCheckTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** What HAProxy does: connect, read the one line the agent sends, and close. */
  private static String ask(InetSocketAddress agent) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(agent, 5000);
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), US_ASCII);
    }
  }

  @Test
  void theAgentSaysUpThenDrainWhileTheServerStillAcceptsForTheGrace() throws Exception {
    TcpServer server = TcpServer.builder()
        .bind("127.0.0.1", 0)
        .agentCheck(0)
        .drainGrace(Duration.ofSeconds(5))
        .handler(Handlers.lines(100, line -> line))
        .build()
        .start();
    InetSocketAddress agent = server.agentCheckAddress().orElseThrow();
    assertEquals("127.0.0.1", agent.getAddress().getHostAddress(), "on the server's host");
    assertEquals("up ready\n", ask(agent)); // ready: leaves a DRAIN an earlier process announced

    CompletableFuture<DrainReport> drained = CompletableFuture.supplyAsync(() -> {
      try {
        return server.drain(WAIT);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    Await.until("the agent says drain", WAIT, () -> {
      try {
        return ask(agent).equals("drain\n");
      } catch (IOException e) {
        return false;
      }
    });
    // Within the grace the server still runs and serves a new connection.
    assertEquals(Server.State.RUNNING, server.state());
    try (Connection c = TcpClient.connect(server.localAddress(), WAIT)) {
      c.output().write("late\n".getBytes(UTF_8));
      c.output().flush();
      assertEquals("late", c.readLine(100));
    }
    DrainReport report = drained.get(30, TimeUnit.SECONDS);
    assertTrue(report.graceful(), report::toString);
    assertEquals(Server.State.TERMINATED, server.state());
    // Refused, or reset if the connect raced the listener's close: never an answer.
    assertThrows(IOException.class, () -> ask(agent), "the agent closed with the server");
  }

  @Test
  void withoutAnAgentCheckThereIsNoGrace() throws Exception {
    try (TcpServer server = TcpServer.builder()
        .bind("127.0.0.1", 0)
        .drainGrace(Duration.ofMinutes(5)) // ignored: nobody to tell
        .handler(c -> {})
        .build()
        .start()) {
      assertTrue(server.agentCheckAddress().isEmpty());
      assertTrue(server.drain(WAIT).terminated());
    }
  }

  @Test
  void aWrongPortIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> TcpServer.builder().agentCheck(65536));
    assertThrows(IllegalArgumentException.class, () -> TcpServer.builder().drainGrace(Duration.ofSeconds(-1)));
  }
}
