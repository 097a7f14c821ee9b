package dev.socketserver.examples;

import dev.socketserver.api.Connection;
import dev.socketserver.api.ConnectionOptions;
import dev.socketserver.api.Server;
import dev.socketserver.tcp.TcpClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/** Test helpers: example servers on 127.0.0.1 and a free port, clients for them, captured output. */
final class Loopback {
  /** How long a client waits for the server before a test fails (instead of hanging). */
  static final Duration PATIENCE = Duration.ofSeconds(10);

  private Loopback() {}

  /** Returns {@code --host 127.0.0.1 --port 0} followed by {@code more}: a server's arguments. */
  static String[] args(String... more) {
    return hostPort(0, more);
  }

  /** Returns {@code --host 127.0.0.1 --port <server's port>} followed by {@code more}: a client's arguments. */
  static String[] argsFor(Server server, String... more) {
    return hostPort(port(server), more);
  }

  private static String[] hostPort(int port, String... more) {
    return Stream.concat(Stream.of("--host", "127.0.0.1", "--port", Integer.toString(port)), Stream.of(more))
        .toArray(String[]::new);
  }

  /** Returns the port a server (or its options) was bound to, port 0 resolved. */
  static int port(Server server) {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Connects to {@code server} on loopback; reads wait at most {@link #PATIENCE}. */
  static Connection connect(Server server) throws IOException {
    return TcpClient.connect(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), port(server)),
        PATIENCE,
        ConnectionOptions.defaults().withReadTimeout(PATIENCE));
  }

  /** Writes {@code text} as UTF-8 and flushes. */
  static void send(Connection connection, String text) throws IOException {
    connection.output().write(text.getBytes(StandardCharsets.UTF_8));
    connection.output().flush();
  }

  /** Reads until the server closes the connection. */
  static String readToEnd(Connection connection) throws IOException {
    return new String(connection.input().readAllBytes(), StandardCharsets.UTF_8);
  }

  /** A thread-safe {@link PrintStream} that keeps what is printed, for the examples' {@code out}. */
  static final class Captured extends PrintStream {
    private final ByteArrayOutputStream bytes;

    Captured() {
      this(new ByteArrayOutputStream());
    }

    private Captured(ByteArrayOutputStream bytes) {
      super(bytes, true, StandardCharsets.UTF_8);
      this.bytes = bytes;
    }

    /** Returns the lines printed so far. */
    List<String> lines() {
      synchronized (this) { // PrintStream locks itself while it writes
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
      }
    }
  }
}
