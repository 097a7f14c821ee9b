package dev.socketserver.engine.tls;

import dev.socketserver.api.TlsInfo;
import dev.socketserver.api.TlsOptions;
import dev.socketserver.engine.stream.BufferPool;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.security.cert.Certificate;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/** Making, configuring and describing the {@link SSLEngine}s of {@link TlsConnection}s. Stateless. */
final class TlsEngines {
  private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|.*:.*");

  private TlsEngines() {}

  /** A server engine asking for client certificates as {@code options} say. */
  static SSLEngine server(TlsOptions options) {
    SSLEngine engine = options.context().createSSLEngine();
    engine.setUseClientMode(false);
    SSLParameters params = engine.getSSLParameters();
    switch (options.clientAuth()) {
      case NEED -> params.setNeedClientAuth(true);
      case WANT -> params.setWantClientAuth(true);
      case NONE -> {}
    }
    return configure(engine, params, options);
  }

  /**
   * A client engine for {@code host} (sent as SNI unless it is an IP address, and checked against
   * the server's certificate) at {@code remote}.
   */
  static SSLEngine client(TlsOptions options, String host, SocketAddress remote) {
    int port = remote instanceof InetSocketAddress a ? a.getPort() : -1;
    SSLEngine engine = options.context().createSSLEngine(host, port);
    engine.setUseClientMode(true);
    SSLParameters params = engine.getSSLParameters();
    params.setEndpointIdentificationAlgorithm("HTTPS");
    if (!IP_LITERAL.matcher(host).matches()) {
      params.setServerNames(List.of(new SNIHostName(host)));
    }
    return configure(engine, params, options);
  }

  private static SSLEngine configure(SSLEngine engine, SSLParameters params, TlsOptions options) {
    if (!options.applicationProtocols().isEmpty()) {
      params.setApplicationProtocols(options.applicationProtocols().toArray(String[]::new));
    }
    engine.setSSLParameters(params);
    return engine;
  }

  static TlsInfo describe(SSLEngine engine) {
    SSLSession session = engine.getSession();
    List<Certificate> peer;
    try {
      peer = List.of(session.getPeerCertificates());
    } catch (SSLPeerUnverifiedException e) {
      peer = List.of();
    }
    String sni = null;
    if (session instanceof ExtendedSSLSession extended) {
      List<SNIServerName> names =
          engine.getUseClientMode()
              ? Objects.requireNonNullElse(engine.getSSLParameters().getServerNames(), List.of())
              : extended.getRequestedServerNames();
      for (SNIServerName name : names) {
        if (name instanceof SNIHostName host) {
          sni = host.getAsciiName();
        }
      }
    }
    String alpn = engine.getApplicationProtocol();
    return new TlsInfo(
        session.getProtocol(),
        session.getCipherSuite(),
        peer,
        sni,
        alpn == null || alpn.isEmpty() ? null : alpn);
  }

  /** A bigger heap buffer (at least {@code atLeast}, else twice) holding what {@code b} held. */
  static ByteBuffer grow(ByteBuffer b, int atLeast) {
    ByteBuffer bigger = ByteBuffer.allocate(Math.max(atLeast, b.capacity() * 2));
    b.flip();
    return bigger.put(b);
  }

  /** Runs the engine's delegated tasks on this thread; returns the handshake status after. */
  static SSLEngineResult.HandshakeStatus runTasks(SSLEngine engine) {
    for (Runnable task; (task = engine.getDelegatedTask()) != null; ) {
      task.run();
    }
    return engine.getHandshakeStatus();
  }

  /** Gives back a buffer of {@code pool}; one grown past the pool's size is left to the collector. */
  static void giveBack(BufferPool pool, ByteBuffer b) {
    if (b.capacity() == pool.bufferSize() && b.isDirect()) {
      pool.give(b);
    }
  }
}
