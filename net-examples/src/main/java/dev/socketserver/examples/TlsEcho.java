package dev.socketserver.examples;

import dev.socketserver.api.Server;
import dev.socketserver.api.TlsOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The echo server over TLS on TCP port 3443. On first start it makes a self-signed certificate
 * for {@code localhost} with the JDK's {@code keytool} (in {@code --keystore}, by default
 * {@code socketserver-tls-echo.p12} in the temporary directory) and reuses it afterwards. The
 * handshake runs on each connection's own thread, so a client that never finishes it holds up
 * nobody else.
 *
 * Try it: {@code ./run tls-echo}, then {@code openssl s_client -connect localhost:3443} and type.
 */
final class TlsEcho {
  static final Options.Spec OPTIONS =
      Options.usage("tls-echo [--host H] [--port N] [--keystore FILE.p12] [--idle-timeout S] [--read-timeout S]")
          .listen(3443)
          .text("keystore", Path.of(System.getProperty("java.io.tmpdir"), "socketserver-tls-echo.p12").toString())
          .describe("the PKCS#12 keystore with the server's key; a self-signed one for localhost is made if missing")
          .timeouts("60s", "30s");

  /** The keystore's password: the file is a throwaway self-signed demo certificate. */
  private static final char[] PASSWORD = "changeit".toCharArray();

  private TlsEcho() {}

  static void main(String[] args) throws Exception {
    Options options = OPTIONS.parse(args);
    Serving.untilSignalled(() -> server(options, System.out));
  }

  /** Builds the server (bound and listening, not yet serving) and says where it listens. */
  static Server server(Options options, PrintStream out) throws IOException {
    Path keystore = Path.of(options.string("keystore"));
    SSLContext context = context(keystore, out);
    Server server =
        Serving.timeouts(Serving.tcp(options), options)
            .tls(TlsOptions.of(context).handshakeTimeout(Duration.ofSeconds(10)))
            .handler(c -> c.input().transferTo(c.output()))
            .build();
    Serving.announce("tls-echo", server, out, "certificate in " + keystore, Serving.timeoutsSetting(options));
    return server;
  }

  /** Returns a server context with the key in {@code keystore}, making it first if it is missing. */
  static SSLContext context(Path keystore, PrintStream out) throws IOException {
    if (!Files.exists(keystore)) {
      out.println("tls-echo: making a self-signed certificate for localhost in " + keystore);
      selfSigned(keystore);
    }
    try (InputStream in = Files.newInputStream(keystore)) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(in, PASSWORD);
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, PASSWORD);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), null, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot use the key in " + keystore + " (delete it to make a new one): " + e, e);
    }
  }

  private static void selfSigned(Path keystore) throws IOException {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    List<String> command = List.of(keytool.toString(), "-genkeypair", "-alias", "tls-echo",
        "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
        "-ext", "SAN=dns:localhost,ip:127.0.0.1,ip:::1", "-validity", "365",
        "-storetype", "PKCS12", "-keystore", keystore.toString(),
        "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("keytool could not make a certificate: " + output.strip());
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while making a certificate", e);
    }
  }
}
