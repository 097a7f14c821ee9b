package dev.socketserver.tcp;

import dev.socketserver.api.Connection;
import dev.socketserver.api.ConnectionOptions;
import dev.socketserver.api.Server;
import dev.socketserver.api.StreamServerBuilder;
import dev.socketserver.api.TlsOptions;
import dev.socketserver.engine.tls.TlsConnection;
import dev.socketserver.api.testing.StreamReliabilityContract;
import dev.socketserver.api.testing.TestCertificates;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

/**
 * The stream-server contract and its reliability part over TLS on TCP, IPv4 loopback: the same
 * API, encrypted, surviving the same faults.
 */
class TlsTcpServerContractTest extends StreamReliabilityContract {
  /**
   * The clients' handshake deadline. The server handshakes a connection only once its
   * concurrency limit admits it, so a client queued behind {@code limit(n)} (400 clients in the
   * accept storm) must allow for the wait, as {@code StreamServerBuilder.tls} documents.
   */
  private static final Duration CLIENT_HANDSHAKE = Duration.ofSeconds(60);

  @Override
  protected StreamServerBuilder<?> newBuilder() throws IOException {
    return TcpServer.builder().bind("127.0.0.1", 0).tls(context(true));
  }

  @Override
  protected StreamServerBuilder<?> newBuilder(SocketAddress address) throws IOException {
    return TcpServer.builder().bind((InetSocketAddress) address).tls(context(true));
  }

  @Override
  protected Connection connect(Server server) throws IOException {
    return TcpClient.connect(
        address(server),
        Duration.ofSeconds(10),
        ConnectionOptions.defaults(),
        TlsOptions.of(context(false)).handshakeTimeout(CLIENT_HANDSHAKE));
  }

  /** A handshake per connection costs far more than a plain connect: the flood opens fewer. */
  @Override
  protected long inboundBytesPerConnection() {
    try {
      javax.net.ssl.SSLSession session =
          TestCertificates.get().serverContext().createSSLEngine().getSession();
      return 2L * session.getPacketBufferSize() + session.getApplicationBufferSize();
    } catch (Exception e) {
      throw new IllegalStateException("no TLS session to measure", e);
    }
  }

  @Override
  protected int floodConnections() {
    return Integer.getInteger("flood.connections", 1_000);
  }

  /**
   * Resets the TCP connection under TLS, without close_notify: closing the TLS connection would
   * send close_notify first, which the server reads as an orderly end of stream.
   */
  @Override
  protected void reset(Connection c) throws IOException {
    c.option(StandardSocketOptions.SO_LINGER, 0);
    ((TlsConnection) c).raw().abort();
  }

  /**
   * Sends the opening of a TLS handshake (the ClientHello) on a plain connection, then resets it:
   * a TLS client cannot send a request before the server, which is busy, answers its hello.
   */
  @Override
  protected void connectSendAndReset(Server server, byte[] request) throws IOException {
    SSLEngine engine = context(false).createSSLEngine();
    engine.setUseClientMode(true);
    engine.beginHandshake();
    ByteBuffer hello = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    engine.wrap(ByteBuffer.allocate(0), hello);
    Connection plain = TcpClient.connect(address(server), Duration.ofSeconds(10));
    plain.output().write(hello.array(), 0, hello.position());
    plain.output().flush();
    super.reset(plain);
  }

  @Override
  protected boolean isRefusal(IOException e) {
    return e instanceof ConnectException;
  }

  /**
   * A client still in the backlog when the listener closes had its TCP connection made by the
   * kernel: it learns of the cut in the handshake. Which words it gets depends on which of its
   * system calls meets the reset first: a read ("Connection reset"), a write ("Connection reset
   * by peer", when the reset arrives before it sends its hello), or a write after the poller's read
   * took the reset ("Broken pipe").
   */
  @Override
  protected boolean isCutInBacklog(IOException e) {
    return switch (String.valueOf(e.getMessage())) {
      case "Connection reset", "Connection reset by peer", "Broken pipe" -> true;
      default -> false;
    };
  }

  @Override
  protected boolean plaintextOnTheWire() {
    return false;
  }

  private static InetSocketAddress address(Server server) {
    return (InetSocketAddress) server.localAddress();
  }

  private static SSLContext context(boolean server) throws IOException {
    try {
      TestCertificates certs = TestCertificates.get();
      return server ? certs.serverContext() : certs.clientContext();
    } catch (GeneralSecurityException e) {
      throw new IOException(e);
    }
  }
}
