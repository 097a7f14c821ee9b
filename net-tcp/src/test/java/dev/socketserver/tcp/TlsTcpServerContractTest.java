package dev.socketserver.tcp;

import dev.socketserver.api.Connection;
import dev.socketserver.api.ConnectionOptions;
import dev.socketserver.api.Server;
import dev.socketserver.api.StreamServerBuilder;
import dev.socketserver.api.TlsOptions;
import dev.socketserver.api.testing.StreamServerContract;
import dev.socketserver.api.testing.TestCertificates;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.time.Duration;

/** The stream-server contract over TLS on TCP, IPv4 loopback: the same API, encrypted. */
class TlsTcpServerContractTest extends StreamServerContract {

  @Override
  protected StreamServerBuilder<?> newBuilder() throws IOException {
    try {
      return TcpServer.builder().bind("127.0.0.1", 0).tls(TestCertificates.get().serverContext());
    } catch (GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  @Override
  protected Connection connect(Server server) throws IOException {
    try {
      return TcpClient.connect(
          (InetSocketAddress) server.localAddress(),
          Duration.ofSeconds(10),
          ConnectionOptions.defaults(),
          TlsOptions.of(TestCertificates.get().clientContext()));
    } catch (GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  @Override
  protected boolean plaintextOnTheWire() {
    return false;
  }
}
