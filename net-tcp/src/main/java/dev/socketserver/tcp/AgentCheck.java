package dev.socketserver.tcp;

import dev.socketserver.engine.telemetry.Logs;
import dev.socketserver.engine.telemetry.RateLimitedLog;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * A HAProxy agent-check responder: every connection to its port gets the server's state as one
 * line ({@code up}, then {@code drain} once the server starts to drain) and is closed. HAProxy
 * ({@code agent-check agent-port P agent-inter 500ms} on the server line) then sends no new
 * connection to a draining server, before its listener goes away.
 *
 * <p>What the peer controls: nothing is read and nothing is held; each accepted connection costs
 * one short write (into an empty send buffer: it never waits) and a close, on the agent's one
 * thread; a failed accept backs off. Thread-safety: {@link #drain()} and
 * {@link #close()} may be called from any thread.
 */
final class AgentCheck implements AutoCloseable {
  private static final Logger log = Logs.get("dev.socketserver.Server");
  private static final Duration BACKOFF = Duration.ofMillis(100);
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(1);

  private final ServerSocketChannel listener;
  private final InetSocketAddress address;
  private final RateLimitedLog failures = new RateLimitedLog(log, Level.DEBUG, "Agent-check failures");
  // "ready" as well: HAProxy keeps a server it saw "drain" from in DRAIN until an agent says
  // "ready", so a restarted process on the same address would never get traffic again.
  private volatile String state = "up ready\n";
  private @Nullable Thread thread;

  private AgentCheck(ServerSocketChannel listener) throws IOException {
    this.listener = listener;
    this.address = (InetSocketAddress) listener.getLocalAddress();
  }

  /** Binds {@code at} (port 0: any free port) and starts answering. */
  static AgentCheck open(InetSocketAddress at) throws IOException {
    ServerSocketChannel listener = ServerSocketChannel.open();
    try {
      listener.bind(at, 64);
      AgentCheck agent = new AgentCheck(listener);
      agent.thread = Thread.ofVirtual().name("socketserver-agent-check " + agent.address).start(agent::answer);
      return agent;
    } catch (IOException | RuntimeException e) {
      listener.close();
      throw e;
    }
  }

  InetSocketAddress address() {
    return address;
  }

  /** From now on, answers {@code drain}: the balancer sends no new connection. */
  void drain() {
    state = "drain\n";
  }

  private void answer() {
    while (listener.isOpen()) {
      try (SocketChannel peer = listener.accept()) {
        // A few bytes into a new connection's empty send buffer: the write never waits.
        peer.write(ByteBuffer.wrap(state.getBytes(StandardCharsets.US_ASCII)));
      } catch (ClosedChannelException closed) {
        return;
      } catch (IOException e) {
        failures.log("Agent check at {}: {}", address, e.toString());
        pause(); // out of descriptors, say: do not spin
      }
    }
  }

  private static void pause() {
    try {
      Thread.sleep(BACKOFF);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops answering: closes the listener and waits for the agent's thread to leave its accept,
   * which is when the socket is really closed (a connect after this is refused).
   */
  @Override
  public void close() {
    try {
      listener.close();
    } catch (IOException e) {
      log.debug("Closing the agent check at {} failed: {}", address, e.toString());
    }
    Thread t = thread;
    if (t != null) {
      try {
        if (!t.join(CLOSE_WAIT)) {
          log.debug("The agent check at {} did not stop within {}", address, CLOSE_WAIT);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
