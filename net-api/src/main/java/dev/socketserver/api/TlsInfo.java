package dev.socketserver.api;

import java.security.cert.Certificate;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What the TLS handshake of a connection settled: protocol, cipher suite, the peer's
 * certificates, and the server name (SNI) and application protocol (ALPN) the client asked for.
 * Returned by {@link Connection#tls()}.
 *
 * <p>Immutable and thread-safe.
 */
public final class TlsInfo {
  private final String protocol;
  private final String cipherSuite;
  private final List<Certificate> peerCertificates;
  private final @Nullable String serverName;
  private final @Nullable String applicationProtocol;

  /**
   * Creates the information; transports do, after the handshake.
   *
   * @param serverName the SNI host name the client sent, or null if it sent none
   * @param applicationProtocol the ALPN protocol agreed on, or null if none was
   */
  public TlsInfo(
      String protocol,
      String cipherSuite,
      List<? extends Certificate> peerCertificates,
      @Nullable String serverName,
      @Nullable String applicationProtocol) {
    this.protocol = protocol;
    this.cipherSuite = cipherSuite;
    this.peerCertificates = List.copyOf(peerCertificates);
    this.serverName = serverName;
    this.applicationProtocol = applicationProtocol;
  }

  /** Returns the protocol negotiated, for example {@code TLSv1.3}. */
  public String protocol() {
    return protocol;
  }

  /** Returns the cipher suite negotiated, for example {@code TLS_AES_256_GCM_SHA384}. */
  public String cipherSuite() {
    return cipherSuite;
  }

  /**
   * Returns the peer's certificate chain, its own certificate first; empty if the peer sent none
   * (a server's client without client authentication).
   */
  public List<Certificate> peerCertificates() {
    return peerCertificates;
  }

  /** Returns the host name the client asked for with SNI; on a client, the one it sent. */
  public Optional<String> serverName() {
    return Optional.ofNullable(serverName);
  }

  /** Returns the ALPN protocol agreed on, empty if none was. */
  public Optional<String> applicationProtocol() {
    return Optional.ofNullable(applicationProtocol);
  }

  @Override
  public String toString() {
    return "TlsInfo[" + protocol + ", " + cipherSuite + ", " + peerCertificates.size()
        + " peer certificate(s), SNI " + serverName + ", ALPN " + applicationProtocol + "]";
  }
}
