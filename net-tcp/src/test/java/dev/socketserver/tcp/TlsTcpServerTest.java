package dev.socketserver.tcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.socketserver.api.Connection;
import dev.socketserver.api.ConnectionOptions;
import dev.socketserver.api.Framing;
import dev.socketserver.api.Handlers;
import dev.socketserver.api.RequestHandler;
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
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
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
  private static InetSocketAddress localhost(TcpServer server) throws IOException {
    int port = server.localAddress().getPort();
    return new InetSocketAddress(InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1}), port);
  }

  private static String exchange(Connection c, String line) throws IOException {
    c.output().write((line + "\n").getBytes(UTF_8));
    return c.readLine(1000);
  }

  @Test
  void aClientThatNeverCompletesItsHandshakeDoesNotBlockOthers() throws Exception {
    TestCertificates certs = TestCertificates.get();
    try (TcpServer server = server(TlsOptions.of(certs.serverContext()).handshakeTimeout(Duration.ofMillis(300)))
        .handler(DESCRIBE).build().start()) {
      InetSocketAddress address = server.localAddress();
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

  /**
   * A handler that borrows its frames keeps one thread per TLS connection (its frames are arrays
   * there, never slices of a read buffer), and buffers written with writeFrame go through TLS's
   * output on both sides, direct or not, whole or over several records.
   */
  @Test
  void aHandlerThatBorrowsFramesIsServedOverTlsAndBuffersAreWrittenThroughIt() throws Exception {
    TestCertificates certs = TestCertificates.get();
    Framing framing = Framing.lengthField(4, 1 << 16);
    try (TcpServer server = server(TlsOptions.of(certs.serverContext()))
        .handler(Handlers.nonBlockingSlices(framing, frame -> {
          for (int i = 0, j = frame.limit() - 1; i < j; i++, j--) {
            byte t = frame.get(i);
            frame.put(i, frame.get(j));
            frame.put(j, t);
          }
          return frame;
        }))
        .build().start();
        Connection c = TcpClient.connect(server.localAddress(), Duration.ofSeconds(5),
            ConnectionOptions.defaults(), TlsOptions.of(certs.anonymousClientContext()))) {
      c.readTimeout(Duration.ofSeconds(10));
      for (int size : new int[] {0, 1, 5, 9000, 40_000}) {
        byte[] message = new byte[size];
        for (int i = 0; i < size; i++) {
          message[i] = (byte) (i * 7 + size);
        }
        ByteBuffer out = size % 2 == 0 ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
        out.put(message).flip();
        c.writeFrame(framing, out);
        assertFalse(out.hasRemaining(), "writeFrame consumes the buffer");
        c.output().flush();
        byte[] reply = c.readFrame(framing);
        byte[] expected = new byte[size];
        for (int i = 0; i < size; i++) {
          expected[i] = message[size - 1 - i];
        }
        assertArrayEquals(expected, reply, "frame of " + size + " bytes");
      }
    }
  }

  @Test
  void theHandlerSeesSniAlpnAndTheClientCertificate() throws Exception {
    TestCertificates certs = TestCertificates.get();
    try (TcpServer server = server(TlsOptions.of(certs.serverContext())
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
    try (TcpServer server = server(TlsOptions.of(certs.serverContext()).clientAuth(TlsOptions.ClientAuth.NEED))
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
    try (TcpServer server = server(TlsOptions.of(certs.serverContext()).clientAuth(TlsOptions.ClientAuth.WANT))
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
    try (TcpServer server = server(TlsOptions.of(certs.serverContext()).applicationProtocols("h2"))
        .handler(DESCRIBE).build().start()) {
      int port = server.localAddress().getPort();
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
  void aClientInitiatedRenegotiationIsRefusedClosedAndCountedWhileOthersAreServed() throws Exception {
    assumeTrue(Files.isExecutable(OPENSSL), "openssl is not installed (Debian package openssl): interop not tested");
    TestCertificates certs = TestCertificates.get();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    try (TcpServer server = server(TlsOptions.of(certs.serverContext()))
        .handler(ECHO).errorHandler((c, e) -> failure.set(e)).build().start();
        Connection other = TcpClient.connect(localhost(server), Duration.ofSeconds(5),
            ConnectionOptions.defaults(), TlsOptions.of(certs.anonymousClientContext()))) {
      assertEquals("before", exchange(other, "before"));
      int port = server.localAddress().getPort();
      // Interactive (neither -quiet nor -ign_eof): a line "R" makes s_client renegotiate.
      Process p = new ProcessBuilder(OPENSSL.toString(), "s_client", "-connect", "127.0.0.1:" + port,
          "-tls1_2", "-CAfile", certs.serverCertificatePem().toString())
          .redirectErrorStream(true)
          .start();
      try {
        BlockingQueue<String> output = linesOf(p);
        OutputStream stdin = p.getOutputStream();
        stdin.write("hello\n".getBytes(UTF_8));
        stdin.flush();
        awaitLine(output, "hello", p);
        stdin.write("R\n".getBytes(UTF_8));
        stdin.flush();
        Await.until("renegotiation refused", Duration.ofSeconds(20),
            () -> server.metrics().renegotiationsRefused() == 1);
        try {
          stdin.write("after\n".getBytes(UTF_8));
          stdin.flush();
        } catch (IOException e) {
          // s_client saw the close and exited already
        }
        // Without the refusal the server never finished the renegotiation and s_client waited forever.
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "s_client did not exit: the server did not close");
        List<String> rest = restOf(output); // not drainTo: the reader may lag the exit
        assertTrue(rest.contains("RENEGOTIATING"), "s_client did not renegotiate: " + rest);
        assertFalse(rest.contains("after"), "a line was echoed after the renegotiation: " + rest);
      } finally {
        p.destroyForcibly();
      }
      Await.until("the handler's failure", Duration.ofSeconds(10), () -> failure.get() != null);
      assertTrue(failure.get().getMessage().startsWith("TLS renegotiation refused: the client /127.0.0.1:"),
          failure.get().toString());
      assertEquals("meanwhile", exchange(other, "meanwhile"));
      assertEquals(1, server.metrics().renegotiationsRefused());
    }
  }

  @Test
  void tls10And11OffersGetAProtocolVersionAlert() throws Exception {
    assumeTrue(Files.isExecutable(OPENSSL), "openssl is not installed (Debian package openssl): interop not tested");
    TestCertificates certs = TestCertificates.get();
    try (TcpServer server = server(TlsOptions.of(certs.serverContext())).handler(ECHO).build().start()) {
      int port = server.localAddress().getPort();
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

  /** Collects the process's output lines as they come. */
  /** Put after the process's last line, once its output is read to the end. */
  private static final String END_OF_OUTPUT = "(end of output)";

  private static BlockingQueue<String> linesOf(Process p) {
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread.ofVirtual().start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          lines.add(line);
        }
      } catch (IOException e) {
        lines.add("(reading failed: " + e + ")");
      } finally {
        lines.add(END_OF_OUTPUT);
      }
    });
    return lines;
  }

  /** The rest of the output, once the reader has seen its end (the process may exit before). */
  private static List<String> restOf(BlockingQueue<String> lines) throws InterruptedException {
    List<String> rest = new ArrayList<>();
    for (String line; (line = lines.poll(20, TimeUnit.SECONDS)) != null && !line.equals(END_OF_OUTPUT); ) {
      rest.add(line);
    }
    return rest;
  }

  private static void awaitLine(BlockingQueue<String> lines, String expected, Process p)
      throws InterruptedException {
    List<String> seen = new ArrayList<>();
    while (true) {
      String line = lines.poll(20, TimeUnit.SECONDS);
      if (line == null) {
        throw new AssertionError("no line " + expected + " from s_client (alive " + p.isAlive() + "): " + seen);
      }
      if (line.equals(expected)) {
        return;
      }
      seen.add(line);
    }
  }
}
