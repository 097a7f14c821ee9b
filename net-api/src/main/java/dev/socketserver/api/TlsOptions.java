package dev.socketserver.api;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * How a stream server or client speaks TLS: the {@link SSLContext} (keys, trust, protocols),
 * client authentication, the handshake deadline and the ALPN protocols.
 *
 * {@snippet :
 * TcpServer.builder()
 *     .bind("", 3443)
 *     .tls(TlsOptions.of(sslContext)
 *         .clientAuth(TlsOptions.ClientAuth.WANT)
 *         .applicationProtocols("h2", "http/1.1"))
 *     .handler(c -> c.output().write(c.tls().orElseThrow().protocol().getBytes(UTF_8)))
 *     .build();
 * }
 *
 * <p>Which protocol versions and cipher suites are offered is the context's (and the JDK's
 * {@code jdk.tls.disabledAlgorithms}) to say: by default TLS 1.3 and 1.2. A client offering only
 * an older version (TLS 1.0, 1.1) gets a {@code protocol_version} alert, then the connection is
 * closed (on a server: counted as rejected).
 *
 * <p>Renegotiation is refused, on servers and clients alike, as the JDK's global
 * {@code jdk.tls.rejectClientInitiatedRenegotiation} would (this library sets no system
 * property): when the peer starts a TLS 1.2 renegotiation on an established connection (a
 * client's new ClientHello, a server's HelloRequest), the connection sends close_notify and
 * closes its output at once, so the peer sees the end instead of waiting; the read that met it,
 * and every later read and write, fails with an {@link javax.net.ssl.SSLException}
 * "TLS renegotiation refused: ..."; a server counts it in
 * {@link ServerMetrics#renegotiationsRefused()}. TLS 1.3 has no renegotiation; its key updates
 * are answered.
 *
 * <p>Immutable and thread-safe: every method returns new options.
 */
public final class TlsOptions {

  /** Whether a server asks its clients for a certificate. Clients ignore it. */
  public enum ClientAuth {
    /** No client certificate is asked for (the default). */
    NONE,
    /** A certificate is asked for; a client without one is still served. */
    WANT,
    /** A certificate is required: a client without a trusted one fails the handshake. */
    NEED
  }

  private final SSLContext context;
  private final ClientAuth clientAuth;
  private final Duration handshakeTimeout;
  private final List<String> applicationProtocols;

  private TlsOptions(
      SSLContext context, ClientAuth clientAuth, Duration handshakeTimeout, List<String> alpn) {
    this.context = context;
    this.clientAuth = clientAuth;
    this.handshakeTimeout = handshakeTimeout;
    this.applicationProtocols = alpn;
  }

  /** Returns options for {@code context}: no client authentication, a 10 s handshake deadline, no ALPN. */
  public static TlsOptions of(SSLContext context) {
    return new TlsOptions(
        Objects.requireNonNull(context, "context"), ClientAuth.NONE, Duration.ofSeconds(10), List.of());
  }

  /** Returns these options asking clients for a certificate as {@code auth} says. */
  public TlsOptions clientAuth(ClientAuth auth) {
    return new TlsOptions(context, Objects.requireNonNull(auth, "clientAuth"), handshakeTimeout, applicationProtocols);
  }

  /**
   * Returns these options with another handshake deadline: a peer that has not completed the
   * handshake by then is disconnected (on a server: counted as rejected).
   *
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  public TlsOptions handshakeTimeout(Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("handshakeTimeout must be positive: " + timeout);
    }
    return new TlsOptions(context, clientAuth, timeout, applicationProtocols);
  }

  /**
   * Returns these options offering (client) or accepting (server) the ALPN protocols
   * {@code protocols}, most preferred first; none by default.
   *
   * @throws IllegalArgumentException if a protocol name is empty
   */
  public TlsOptions applicationProtocols(String... protocols) {
    for (String p : protocols) {
      if (p.isEmpty()) {
        throw new IllegalArgumentException("empty ALPN protocol name in " + List.of(protocols));
      }
    }
    return new TlsOptions(context, clientAuth, handshakeTimeout, List.of(protocols));
  }

  /** Returns the SSL context. */
  public SSLContext context() {
    return context;
  }

  /** Returns whether a server asks clients for a certificate. */
  public ClientAuth clientAuth() {
    return clientAuth;
  }

  /** Returns how long the handshake may take. */
  public Duration handshakeTimeout() {
    return handshakeTimeout;
  }

  /** Returns the ALPN protocols, most preferred first; empty for none. */
  public List<String> applicationProtocols() {
    return applicationProtocols;
  }

  @Override
  public String toString() {
    return "TlsOptions[" + context.getProtocol() + ", clientAuth " + clientAuth + ", handshake "
        + handshakeTimeout + ", ALPN " + applicationProtocols + "]";
  }
}
