package dev.socketserver.spi;

import dev.socketserver.api.ConnectionOptions;
import dev.socketserver.api.ProxyProtocol;
import dev.socketserver.api.StreamServerBuilder;
import dev.socketserver.api.TlsOptions;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The settings every stream server has beyond {@link ServerSettings}, as an
 * {@link AbstractStreamServerBuilder} collected them from the {@link StreamServerBuilder} methods:
 * per-connection options, idle timeout, maximum connection lifetime, TLS, PROXY protocol, the
 * inbound memory budget, the number of pollers. A transport passes them to whatever serves its connections.
 *
 * <p>Immutable and thread-safe.
 */
public final class StreamSettings {
  /** The smallest inbound budget a builder accepts: 64 KiB. */
  static final long MIN_INBOUND_BUDGET = 64 * 1024;

  private final ConnectionOptions connection;
  private final Duration idleTimeout;
  private final Duration maxLifetime;
  private final @Nullable TlsOptions tls;
  private final @Nullable ProxyProtocol proxyProtocol;
  private final long inboundBudget;
  private final int pollers;
  private final boolean pollersAnswer;

  StreamSettings(
      ConnectionOptions connection,
      Duration idleTimeout,
      Duration maxLifetime,
      @Nullable TlsOptions tls,
      @Nullable ProxyProtocol proxyProtocol,
      long inboundBudget,
      int pollers,
      boolean pollersAnswer) {
    this.pollers = pollers;
    this.pollersAnswer = pollersAnswer;
    this.proxyProtocol = proxyProtocol;
    this.inboundBudget = inboundBudget;
    this.connection = connection;
    this.idleTimeout = idleTimeout;
    this.maxLifetime = maxLifetime;
    this.tls = tls;
  }

  /** A quarter of the JVM's maximum heap, at least {@link #MIN_INBOUND_BUDGET}. */
  static long defaultInboundBudget() {
    return Math.max(MIN_INBOUND_BUDGET, Runtime.getRuntime().maxMemory() / 4);
  }

  /**
   * Returns the most bytes all connections together may hold in unconsumed input and partial
   * frames; see {@link StreamServerBuilder#inboundBudget(long)}.
   */
  public long inboundBudget() {
    return inboundBudget;
  }

  /**
   * Returns how many pollers serve the connections; see {@link StreamServerBuilder#pollers(int)}.
   */
  public int pollers() {
    return pollers;
  }

  /**
   * Returns whether the pollers answer the requests themselves: the handler is a {@linkplain
   * dev.socketserver.api.Handlers#nonBlocking non-blocking} one under virtual threads, and no
   * option (TLS, the PROXY protocol, a read timeout) makes its connections need threads of their
   * own. Such pollers run on
   * platform threads, the others on virtual threads.
   */
  public boolean pollersAnswer() {
    return pollersAnswer;
  }

  /** Returns the per-connection timeouts and buffer sizes. */
  public ConnectionOptions connection() {
    return connection;
  }

  /** Returns how long a connection may move no byte either way; {@link Duration#ZERO}: for ever. */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  /** Returns how long a connection may stay open; {@link Duration#ZERO}: for ever. */
  public Duration maxLifetime() {
    return maxLifetime;
  }

  /** Returns the PROXY protocol settings, empty if connections come straight from clients. */
  public Optional<ProxyProtocol> proxyProtocol() {
    return Optional.ofNullable(proxyProtocol);
  }

  /** Returns the TLS options, empty for plain connections. */
  public Optional<TlsOptions> tls() {
    return Optional.ofNullable(tls);
  }
}
