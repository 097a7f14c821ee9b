package dev.socketserver.examples;

import dev.socketserver.api.Server;
import java.io.IOException;
import java.nio.file.Path;

/**
 * What the two Unix examples share: the {@code --path} option and serving until the JVM is
 * stopped. (When this module's {@code Options} and {@code Serving} helpers are on the same
 * branch, these two methods should become calls to them.)
 */
final class UnixArgs {
  /** How long a stopping server lets requests in flight finish: an idle client must not hold Ctrl-C for 30 s. */
  static final java.time.Duration DRAIN = java.time.Duration.ofSeconds(5);

  private UnixArgs() {}

  /**
   * Returns {@code --path P} from {@code args}, or {@code defaultName} in the temporary directory.
   *
   * For anything else prints the usage line and exits with status 2.
   */
  static Path path(String[] args, String example, String defaultName) {
    if (args.length == 0) {
      return Path.of(System.getProperty("java.io.tmpdir"), defaultName);
    }
    if (args.length == 2 && args[0].equals("--path")) {
      return Path.of(args[1]);
    }
    System.err.println("usage: ./run " + example + " [--path P]");
    System.exit(2);
    throw new AssertionError("unreachable");
  }

  /** Builds a server; may fail like {@code build()} does. */
  @FunctionalInterface
  interface Factory {
    Server build() throws IOException;
  }

  /**
   * Builds the server and serves it on this thread until the JVM is asked to stop (Ctrl-C,
   * SIGTERM), then closes it, which removes its socket file. If it cannot be built, prints why
   * (no stack trace: the message says what to do) and exits with status 1.
   */
  static void serveUntilStopped(String example, Factory factory) {
    Server server;
    try {
      server = factory.build();
    } catch (IOException e) {
      System.err.println(example + ": " + e.getMessage());
      System.exit(1);
      return;
    }
    Thread hook = Thread.ofPlatform().unstarted(server::close);
    Runtime.getRuntime().addShutdownHook(hook);
    try (server) {
      server.serveForever();
    }
  }
}
