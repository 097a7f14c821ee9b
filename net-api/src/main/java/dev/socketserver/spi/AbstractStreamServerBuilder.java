package dev.socketserver.spi;

import dev.socketserver.api.Connection;
import dev.socketserver.api.ConnectionOptions;
import dev.socketserver.api.Handlers;
import dev.socketserver.api.ProxyProtocol;
import dev.socketserver.api.StreamServerBuilder;
import dev.socketserver.api.TlsOptions;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * For transport authors: the state and checks of {@link StreamServerBuilder}'s options, on top
 * of {@link AbstractServerBuilder}'s; {@link #streamSettings()} returns them for the stream core.
 *
 * <p>Not thread-safe: a builder is configured on one thread.
 *
 * @param <B> the concrete builder type, returned by every setter
 */
public abstract class AbstractStreamServerBuilder<B extends StreamServerBuilder<B>>
    extends AbstractServerBuilder<Connection, B> implements StreamServerBuilder<B> {
  private ConnectionOptions options = ConnectionOptions.defaults();
  private Duration idleTimeout = Duration.ZERO;
  private Duration maxLifetime = Duration.ZERO;
  private @Nullable TlsOptions tls;
  private @Nullable ProxyProtocol proxyProtocol;
  private long inboundBudget = StreamSettings.defaultInboundBudget();
  private int pollers; // 0: ServerSettings.defaultPollers() at build

  /** Creates a builder with the defaults. */
  protected AbstractStreamServerBuilder() {}

  @Override
  public final B readTimeout(Duration timeout) {
    options = options.withReadTimeout(timeout);
    return me();
  }

  @Override
  public final B writeTimeout(Duration timeout) {
    options = options.withWriteTimeout(timeout);
    return me();
  }

  @Override
  public final B readBufferSize(int size) {
    options = options.withReadBufferSize(size);
    return me();
  }

  @Override
  public final B writeBufferSize(int size) {
    options = options.withWriteBufferSize(size);
    return me();
  }

  @Override
  public final B idleTimeout(Duration timeout) {
    this.idleTimeout = requireTimeout("idleTimeout", timeout);
    return me();
  }

  @Override
  public final B maxConnectionLifetime(Duration lifetime) {
    this.maxLifetime = requireTimeout("maxConnectionLifetime", lifetime);
    return me();
  }

  @Override
  public final B tls(SSLContext context) {
    return tls(TlsOptions.of(context));
  }

  @Override
  public final B tls(TlsOptions options) {
    this.tls = Objects.requireNonNull(options, "tls");
    return me();
  }

  @Override
  public final B proxyProtocol(ProxyProtocol protocol) {
    this.proxyProtocol = Objects.requireNonNull(protocol, "proxyProtocol");
    return me();
  }

  @Override
  public final B inboundBudget(long bytes) {
    if (bytes < StreamSettings.MIN_INBOUND_BUDGET) {
      throw new IllegalArgumentException(
          "inboundBudget < " + StreamSettings.MIN_INBOUND_BUDGET + " bytes: " + bytes);
    }
    this.inboundBudget = bytes;
    return me();
  }

  @Override
  public final B pollers(int n) {
    this.pollers = ServerSettings.checkPollers(n);
    return me();
  }

  /** Returns the stream options collected so far, for the stream core. */
  protected final StreamSettings streamSettings() {
    return new StreamSettings(options, idleTimeout, maxLifetime, tls, proxyProtocol, inboundBudget,
        pollers == 0 ? ServerSettings.defaultPollers() : pollers, pollersAnswer());
  }

  /**
   * Whether the pollers answer the requests themselves: a non-blocking handler's turns run on the
   * poller that read their input under virtual threads, unless something needs a thread per
   * connection (TLS, the PROXY protocol's header, a read timeout; see
   * {@code ChannelConnection.serveInTurns} and {@code ServedRequest.turnsOf}).
   */
  private boolean pollersAnswer() {
    return handlerOrNull() instanceof Handlers.Framed framed
        && framed.nonBlocking()
        && servesOnVirtualThreads()
        && tls == null
        && proxyProtocol == null
        && options.readTimeout().isZero();
  }


  @SuppressWarnings("unchecked") // B is this builder's own type by the class's contract
  private B me() {
    return (B) this;
  }
}
