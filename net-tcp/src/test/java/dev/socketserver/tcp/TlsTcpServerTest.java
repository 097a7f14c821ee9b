package dev.socketserver.tcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.socketserver.api.Connection;
import dev.socketserver.api.ConnectionOptions;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.Server;
import dev.socketserver.api.TlsInfo;
import dev.socketserver.api.TlsOptions;
import dev.socketserver.api.testing.Await;
import dev.socketserver.api.testing.TestCertificates;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What is particular to TLS: handshakes off the accept loop, client certificates, SNI, ALPN, interop. */
@Timeout(60)
class TlsTcpServerTest {

  /** Replies with one line describing the connection's TLS session. */
  private static final RequestHandler<Connection> DESCRIBE = c -> {
    TlsInfo tls = c.tls().orElseThrow();
    String peer = tls.peerCertificates().isEmpty()
        ? "-"
        : ((X509Certificate) tls.peerCertificates().get(0)).getSubjectX500Principal().getName();
    String line = c.readLine(100);
    c.output().write((line + " " + tls.protocol() + " " + tls.serverName().orElse("-") + " "
        + tls.applicationProtocol().orElse("-") + " " + peer + "\n").getBytes(UTF_8));
  };

  /** Echoes lines until end of stream. */
  private static final RequestHandler<Connection> ECHO = c -> {
    for (String line; (line = c.readLine(1000)) != null; ) {
      c.output().write((line + "\n").getBytes(UTF_8));
      c.output().flush();
    }
  };

  private static final Path OPENSSL = Path.of("/usr/bin/openssl");

  private static TcpServer.Builder server(TlsOptions tls) {
    return TcpServer.builder().bind("127.0.0.1", 0).tls(tls);
  }

  /** The server's address under the name "localhost", so that the client sends SNI. */
  private static InetSocketAddress localhost(Server server) throws IOException {
    int port = ((InetSocketAddress) server.localAddress()).getPort();
    return new InetSocketAddress(InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1}), port);
  }

  private static String exchange(Connection c, String line) throws IOException {
    c.output().write((line + "\n").getBytes(UTF_8));
    return c.readLine(1000);
  }

  @Test
  void aClientThatNeverCompletesItsHandshakeDoesNotBlockOthers() throws Exception {
    TestCertificates certs = TestCertificates.get();
    try (Server server = server(TlsOptions.of(certs.serverContext()).handshakeTimeout(Duration.ofMillis(300)))
        .handler(DESCRIBE).build().start()) {
      InetSocketAddress address = (InetSocketAddress) server.localAddress();
      try (Connection stalled = TcpClient.connect(address, Duration.ofSeconds(5))) { // plain: says nothing
        try (Connection c = TcpClient.connect(address, Duration.ofSeconds(5), ConnectionOptions.defaults(),
            TlsOptions.of(certs.anonymousClientContext()))) {
          assertTrue(exchange(c, "meanwhile").startsWith("meanwhile TLSv1.3"));
        }
        assertEquals(-1, stalled.input().read()); // dropped at the handshake deadline
      }
      Await.until("rejected", Duration.ofSeconds(10), () -> server.metrics().rejected() == 1);
      assertEquals(1, server.metrics().completed());
    }
  }

  @Test
  void theHandlerSeesSniAlpnAndTheClientCertificate() throws Exception {
    TestCertificates certs = TestCertificates.get();
    try (Server server = server(TlsOptions.of(certs.serverContext())
            .clientAuth(TlsOptions.ClientAuth.NEED)
            .applicationProtocols("h2", "http/1.1"))
        .handler(DESCRIBE).build().start()) {
      try (Connection c = TcpClient.connect(localhost(server), Duration.ofSeconds(5),
          ConnectionOptions.defaults(),
          TlsOptions.of(certs.clientContext()).applicationProtocols("http/1.1"))) {
        assertEquals("hi TLSv1.3 localhost http/1.1 CN=test-client", exchange(c, "hi"));
        TlsInfo mine = c.tls().orElseThrow();
        assertEquals("http/1.1", mine.applicationProtocol().orElseThrow());
        assertEquals(certs.serverCertificate(), mine.peerCertificates().get(0));
      }
    }
  }

  @Test
  void aRequiredClientCertificateThatIsMissingFailsTheHandshake() throws Exception {
    TestCertificates certs = TestCertificates.get();
    try (Server server = server(TlsOptions.of(certs.serverContext()).clientAuth(TlsOptions.ClientAuth.NEED))
        .handler(DESCRIBE).build().start()) {
      // TLS 1.3: the client may finish its side before the server's alert arrives.
      assertThrows(IOException.class, () -> {
        try (Connection c = TcpClient.connect(localhost(server), Duration.ofSeconds(5),
            ConnectionOptions.defaults(), TlsOptions.of(certs.anonymousClientContext()))) {
          if (exchange(c, "hi") == null) {
            throw new SSLException("closed without a reply");
          }
        }
      });
      Await.until("rejected", Duration.ofSeconds(10), () -> server.metrics().rejected() == 1);
      assertEquals(0, server.metrics().completed());
    }
  }

  @Test
  void aWantedClientCertificateMayBeMissing() throws Exception {
    TestCertificates certs = TestCertificates.get();
    try (Server server = server(TlsOptions.of(certs.serverContext()).clientAuth(TlsOptions.ClientAuth.WANT))
        .handler(DESCRIBE).build().start()) {
      try (Connection c = TcpClient.connect(localhost(server), Duration.ofSeconds(5),
          ConnectionOptions.defaults(), TlsOptions.of(certs.anonymousClientContext()))) {
        assertEquals("hi TLSv1.3 localhost - -", exchange(c, "hi"));
      }
    }
  }

  @Test
  void opensslSClientTalksToTheServer() throws Exception {
    assumeTrue(Files.isExecutable(OPENSSL), "openssl is not installed (Debian package openssl): interop not tested");
    TestCertificates certs = TestCertificates.get();
    try (Server server = server(TlsOptions.of(certs.serverContext()).applicationProtocols("h2"))
        .handler(DESCRIBE).build().start()) {
      int port = ((InetSocketAddress) server.localAddress()).getPort();
      Process p = new ProcessBuilder(OPENSSL.toString(), "s_client", "-connect", "127.0.0.1:" + port,
          "-servername", "localhost", "-alpn", "h2", "-CAfile", certs.serverCertificatePem().toString(),
          "-verify_return_error", "-quiet")
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
      try {
        OutputStream stdin = p.getOutputStream();
        stdin.write("from-openssl\n".getBytes(UTF_8));
        stdin.flush();
        BufferedReader stdout = new BufferedReader(new InputStreamReader(p.getInputStream(), UTF_8));
        assertEquals("from-openssl TLSv1.3 localhost h2 -", stdout.readLine());
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "s_client did not exit after the server closed");
      } finally {
        p.destroyForcibly();
      }
    }
  }

  @Test
  void tls10And11OffersGetAProtocolVersionAlert() throws Exception {
    assumeTrue(Files.isExecutable(OPENSSL), "openssl is not installed (Debian package openssl): interop not tested");
    TestCertificates certs = TestCertificates.get();
    try (Server server = server(TlsOptions.of(certs.serverContext())).handler(ECHO).build().start()) {
      int port = ((InetSocketAddress) server.localAddress()).getPort();
      for (String protocol : List.of("-tls1", "-tls1_1")) {
        // OpenSSL 3 offers TLS 1.0 and 1.1 only at security level 0.
        Process p = new ProcessBuilder(OPENSSL.toString(), "s_client", "-connect", "127.0.0.1:" + port,
            protocol, "-cipher", "DEFAULT:@SECLEVEL=0")
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
        try {
          String out = new String(p.getInputStream().readAllBytes(), UTF_8);
          assertTrue(p.waitFor(20, TimeUnit.SECONDS), "s_client did not exit");
          assumeFalse(out.contains("no protocols available"), "openssl cannot offer " + protocol + ": " + out);
          // Without the alert the client saw "unexpected eof while reading".
          assertTrue(out.contains("alert protocol version"), protocol + ": " + out);
        } finally {
          p.destroyForcibly();
        }
      }
      Await.until("rejected", Duration.ofSeconds(10), () -> server.metrics().rejected() == 2);
    }
  }
}
