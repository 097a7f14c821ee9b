package dev.socketserver.api.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Self-signed test certificates, generated once per test JVM with the JDK's {@code keytool}
 * into a temporary directory that is deleted when the JVM exits: no private key is ever
 * committed. The server's certificate is for {@code localhost}, {@code 127.0.0.1} and
 * {@code ::1}; the client's for {@code CN=test-client}.
 */
public final class TestCertificates {
  private static final char[] PASSWORD = "changeit".toCharArray();
  private static volatile TestCertificates instance;

  private final Path dir;
  private final KeyStore server;
  private final KeyStore client;

  private TestCertificates(Path dir) throws IOException, GeneralSecurityException {
    this.dir = dir;
    this.server = generate("server", "CN=localhost", "SAN=dns:localhost,ip:127.0.0.1,ip:0:0:0:0:0:0:0:1");
    this.client = generate("client", "CN=test-client", null);
  }

  /** Returns the certificates, generating them on first use. */
  public static synchronized TestCertificates get() throws IOException, GeneralSecurityException {
    TestCertificates t = instance;
    if (t == null) {
      Path dir = Files.createTempDirectory("socketserver-certs");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
      instance = t = new TestCertificates(dir);
    }
    return t;
  }

  private KeyStore generate(String alias, String dname, String san)
      throws IOException, GeneralSecurityException {
    Path store = dir.resolve(alias + ".p12");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", dname, "-validity", "2", "-storetype", "PKCS12",
        "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit"));
    if (san != null) {
      command.addAll(List.of("-ext", san));
    }
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("keytool failed: " + out);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while generating a test certificate", e);
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, PASSWORD);
    }
    return ks;
  }

  /** Returns the server's certificate. */
  public Certificate serverCertificate() throws GeneralSecurityException {
    return server.getCertificate("server");
  }

  /** Returns the client's certificate. */
  public Certificate clientCertificate() throws GeneralSecurityException {
    return client.getCertificate("client");
  }

  /** Returns a context with the server's key that trusts the client's certificate. */
  public SSLContext serverContext() throws GeneralSecurityException {
    return context(server, clientCertificate());
  }

  /** Returns a context with the client's key that trusts the server's certificate. */
  public SSLContext clientContext() throws GeneralSecurityException {
    return context(client, serverCertificate());
  }

  /** Returns a context with no key of its own that trusts the server's certificate. */
  public SSLContext anonymousClientContext() throws GeneralSecurityException {
    return context(null, serverCertificate());
  }

  /** Writes the server's certificate as PEM (for {@code openssl -CAfile}) and returns the file. */
  public Path serverCertificatePem() throws IOException, GeneralSecurityException {
    Path pem = dir.resolve("server.pem");
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(serverCertificate().getEncoded());
    Files.writeString(pem, "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n");
    return pem;
  }

  private static SSLContext context(KeyStore keys, Certificate trusted)
      throws GeneralSecurityException {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    try {
      trust.load(null, null);
    } catch (IOException e) {
      throw new GeneralSecurityException(e);
    }
    trust.setCertificateEntry("trusted", trusted);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    if (keys == null) {
      ctx.init(null, tmf.getTrustManagers(), null);
    } else {
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, PASSWORD);
      ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    }
    return ctx;
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      // best effort at JVM exit
    }
  }
}
