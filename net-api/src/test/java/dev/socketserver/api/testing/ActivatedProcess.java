package dev.socketserver.api.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.DatagramServerBuilder;
import dev.socketserver.api.Server;
import dev.socketserver.api.StreamServerBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * A child JVM started the way systemd's socket activation starts a service: behind
 * {@code systemd-socket-activate} (Debian's systemd package), which listens, then on the first
 * connection runs the service with the socket as descriptor 3 and {@code LISTEN_FDS=1},
 * {@code LISTEN_PID} set to its pid, exactly as systemd does; or behind a shell that sets those
 * variables itself, to pass what systemd would not. The JVM runs {@code main} on the class path
 * (with native access), through {@code /bin/sh -c 'exec java ...'}, so its pid is the one the
 * launcher started.
 *
 * <p>Not thread-safe: one test drives it. {@link #close()} kills what a failed test left behind.
 */
public final class ActivatedProcess implements AutoCloseable {
  private static final Path ACTIVATE = Path.of("/usr/bin/systemd-socket-activate");

  private final Process process;
  private final ByteArrayOutputStream seen = new ByteArrayOutputStream(); // read by awaitOutput

  private ActivatedProcess(List<String> command) throws IOException {
    process = new ProcessBuilder(command).redirectErrorStream(true).start();
  }

  /**
   * Runs {@code main} behind {@code systemd-socket-activate -l address} ({@code 127.0.0.1:PORT}
   * or a socket file's path); the shell runs {@code java ... main} followed by {@code redirect}
   * (for example {@code " <&3"}, or {@code ""}). Skips the test if systemd-socket-activate is not
   * installed.
   */
  public static ActivatedProcess activate(String address, Class<?> main, String redirect) throws IOException {
    return activate(address, List.of("/bin/sh", "-c", java(main) + redirect));
  }

  /**
   * Runs the {@code service} command behind {@code systemd-socket-activate -l address}. Skips the
   * test if systemd-socket-activate is not installed.
   */
  public static ActivatedProcess activate(String address, List<String> service) throws IOException {
    return launch(List.of("-l", address), service);
  }

  /**
   * As {@link #activate(String, Class, String)} for a datagram socket
   * ({@code systemd-socket-activate --datagram}, systemd's {@code ListenDatagram=}): the launcher
   * starts {@code main} when the first datagram arrives, which then waits in the socket. Send it
   * after {@link #awaitListening()}.
   */
  public static ActivatedProcess activateDatagram(String address, Class<?> main, String redirect) throws IOException {
    return activateDatagram(address, main, "", redirect);
  }

  /**
   * As {@link #activateDatagram(String, Class, String)}, with {@code javaOptions} (such as
   * {@code "-Djava.net.preferIPv4Stack=true"}) given to the child JVM.
   */
  public static ActivatedProcess activateDatagram(String address, Class<?> main, String javaOptions, String redirect)
      throws IOException {
    return launch(List.of("--datagram", "-l", address), List.of("/bin/sh", "-c", java(main, javaOptions) + redirect));
  }

  /**
   * Runs the {@code service} command behind {@code systemd-socket-activate --datagram -l address}.
   * Skips the test if systemd-socket-activate is not installed.
   */
  public static ActivatedProcess activateDatagram(String address, List<String> service) throws IOException {
    return launch(List.of("--datagram", "-l", address), service);
  }

  private static ActivatedProcess launch(List<String> options, List<String> service) throws IOException {
    assumeTrue(Files.isExecutable(ACTIVATE), "systemd-socket-activate is not installed (Debian package systemd)");
    List<String> command = new ArrayList<>(List.of(ACTIVATE.toString()));
    command.addAll(options);
    command.addAll(service);
    return new ActivatedProcess(command);
  }

  /**
   * Waits until the launcher says it listens ({@code "Listening on ..."}), so that a datagram sent
   * now is not lost; fails if its output ends first. What it read is part of {@link #exits}'s
   * answer.
   */
  public void awaitListening() throws IOException {
    InputStream in = process.getInputStream();
    while (!seen.toString(UTF_8).contains("Listening on")) {
      int b = in.read(); // the test's @Timeout bounds this
      if (b < 0) {
        throw new IOException("the launcher ended without listening: " + seen.toString(UTF_8));
      }
      seen.write(b);
    }
  }

  /**
   * Runs {@code main} from {@code /bin/sh -c 'environment exec java ... main redirect'}: in
   * {@code environment} (shell assignments such as {@code LISTEN_PID=$$ LISTEN_FDS=1}),
   * {@code $$} is the pid the JVM will have.
   */
  public static ActivatedProcess shell(String environment, Class<?> main, String redirect) throws IOException {
    return new ActivatedProcess(List.of("/bin/sh", "-c", environment + " " + java(main) + redirect));
  }

  private static String java(Class<?> main) {
    return java(main, "");
  }

  private static String java(Class<?> main, String javaOptions) {
    return "exec '" + ProcessHandle.current().info().command().orElseThrow()
        + "' " + javaOptions + " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC --enable-native-access=ALL-UNNAMED -cp '"
        + SupervisorProcess.classPath(main) + "' " + main.getName();
  }

  /**
   * In the child: builds {@code builder} (an {@code inheritedChannel()} builder) to serve one
   * request, replying with its process id and the line it read; after closing the server prints
   * {@code closed}, so the test sees that standard output survived the close. If building fails
   * it prints the message and exits with 2.
   */
  public static void serveOne(StreamServerBuilder<?> builder) throws IOException {
    serveOne(() -> builder.concurrency(Concurrency.sequential())
        .handler(c -> c.output().write(("pid " + ProcessHandle.current().pid() + " " + c.readLine(100) + "\n")
            .getBytes(UTF_8)))
        .build());
  }

  /**
   * In the child: builds {@code builder} (an {@code inheritedChannel()} datagram builder) to serve
   * one datagram, replying with its process id and the payload; after closing the server prints
   * {@code closed}. If building fails it prints the message and exits with 2.
   */
  public static void serveOne(DatagramServerBuilder<?> builder) throws IOException {
    serveOne(() -> builder.concurrency(Concurrency.sequential())
        .handler(d -> d.reply(("pid " + ProcessHandle.current().pid() + " " + new String(d.bytes(), UTF_8))
            .getBytes(UTF_8)))
        .build());
  }

  /** Builds a server. */
  @FunctionalInterface
  private interface Build {
    Server build() throws IOException;
  }

  private static void serveOne(Build build) throws IOException {
    Server server;
    try {
      server = build.build();
    } catch (IOException e) {
      System.out.println(e.getMessage());
      System.exit(2);
      return;
    }
    try (server) {
      server.handleRequest(Duration.ofSeconds(30));
    }
    System.out.println("closed");
  }

  /**
   * Returns what {@code connect} returns, retrying while it fails with an {@code IOException}:
   * the launcher may not listen yet. Fails after 20 seconds.
   */
  public static <T> T whenListening(Callable<T> connect) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      try {
        return connect.call();
      } catch (IOException notYet) {
        if (System.nanoTime() - deadline > 0) {
          throw notYet;
        }
        LockSupport.parkNanos(1_000_000);
      }
    }
  }

  /** Waits for the child to exit with {@code status}; returns its output, standard error included. */
  public String exits(int status) throws Exception {
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the child did not exit");
    String out = seen.toString(UTF_8) + new String(process.getInputStream().readAllBytes(), UTF_8);
    assertEquals(status, process.exitValue(), out);
    return out;
  }

  /** Asks the child to stop with SIGTERM, as systemd stops a service. */
  public void terminate() {
    process.toHandle().destroy(); // Process.destroy() would close the pipe its output is read from
  }

  /** Kills the child (and anything it started), if a test left it running. */
  @Override
  public void close() throws InterruptedException {
    Stream.concat(process.descendants(), Stream.of(process.toHandle())).forEach(ProcessHandle::destroy);
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
