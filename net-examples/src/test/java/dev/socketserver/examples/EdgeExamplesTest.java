package dev.socketserver.examples;

import static dev.socketserver.examples.Loopback.args;
import static dev.socketserver.examples.Loopback.connect;
import static dev.socketserver.examples.Loopback.port;
import static dev.socketserver.examples.Loopback.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Connection;
import dev.socketserver.api.ConnectionOptions;
import dev.socketserver.api.Server;
import dev.socketserver.api.TlsOptions;
import dev.socketserver.tcp.TcpClient;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** tls-echo, and echo behind a PROXY-protocol proxy. */
@Timeout(60)
class EdgeExamplesTest {
  @TempDir Path dir;

  @Test
  void tlsEchoMakesItsCertificateOnceAndEchoesOverTls() throws Exception {
    Path keystore = dir.resolve("echo.p12");
    var out = new Loopback.Captured();
    try (Server server = TlsEcho.server(TlsEcho.OPTIONS.parse(args("--keystore", keystore.toString())), out).start()) {
      assertTrue(Files.exists(keystore));
      try (Connection c = TcpClient.connect(
          new InetSocketAddress(InetAddress.getLoopbackAddress(), port(server)), Loopback.PATIENCE,
          ConnectionOptions.defaults().withReadTimeout(Loopback.PATIENCE), TlsOptions.of(trusting(keystore)))) {
        send(c, "secret\n");
        assertEquals("secret", c.readLine(100));
        assertEquals("TLSv1.3", c.tls().orElseThrow().protocol());
      }
    }
    var again = new Loopback.Captured();
    try (Server server = TlsEcho.server(TlsEcho.OPTIONS.parse(args("--keystore", keystore.toString())), again)) {
      assertTrue(again.lines().stream().noneMatch(l -> l.contains("making a self-signed")), again.lines()::toString);
      assertTrue(out.lines().getFirst().contains("making a self-signed"), out.lines()::toString);
    }
  }

  @Test
  void echoBehindAProxySeesTheOriginalClient() throws Exception {
    var out = new Loopback.Captured();
    try (Server server = Echo.server(Echo.OPTIONS.parse(args("--proxy-protocol", "--trusted", "127.0.0.1/32")), out).start();
        Connection proxy = connect(server)) {
      send(proxy, "PROXY TCP4 203.0.113.7 127.0.0.1 40000 3130\r\nhello\r\n");
      assertTrue(proxy.readLine(200).startsWith("Connection "));
      assertEquals("hello", proxy.readLine(200));
      assertTrue(out.lines().contains("Got connection from 203.0.113.7:40000"), out.lines()::toString);
    }
  }

  @Test
  void echoBehindAProxyRefusesAClientThatIsNotATrustedProxy() throws Exception {
    var out = new Loopback.Captured();
    try (Server server = Echo.server(Echo.OPTIONS.parse(args("--proxy-protocol", "--trusted", "192.0.2.1/32")), out).start();
        Connection c = connect(server)) {
      send(c, "PROXY TCP4 203.0.113.7 127.0.0.1 40000 3130\r\n");
      assertEquals(-1, c.input().read());
      assertTrue(out.lines().stream().noneMatch(l -> l.startsWith("Got connection")), out.lines()::toString);
    }
  }

  private static SSLContext trusting(Path keystore) throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      keys.load(in, "changeit".toCharArray());
    }
    Certificate cert = keys.getCertificate("tls-echo");
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("tls-echo", cert);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }
}
