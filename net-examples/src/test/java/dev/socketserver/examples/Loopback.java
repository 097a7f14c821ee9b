package dev.socketserver.examples;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Test helpers: example servers on 127.0.0.1 and a free port, clients for them, captured output,
 * and the command that runs an example in a child JVM.
 */
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

  /**
   * Returns {@code java --enable-native-access=dev.socketserver.unix --module-path P -m
   * dev.socketserver.examples/...Main args}, as {@code ./run} runs an example: the java running this test, and the module path Surefire gave it (target/classes and the dependencies),
   * else the packaged {@code target/lib} that {@code ./run} uses; skips the test if neither is there.
   */
  static List<String> exampleCommand(String... args) {
    String java =
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String modulePath = System.getProperty("jdk.module.path");
    if (modulePath == null || modulePath.isEmpty()) {
      Path lib = Path.of("target", "lib");
      assumeTrue(
          Files.isDirectory(lib),
          "no module path to start the example with: the tests do not run on the module path"
              + " and target/lib (made by `package`) is missing");
      modulePath = lib.toString();
    }
    List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=dev.socketserver.unix", "--module-path", modulePath));
    command.addAll(List.of("-m", "dev.socketserver.examples/dev.socketserver.examples.Main"));
    command.addAll(List.of(args));
    return command;
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
