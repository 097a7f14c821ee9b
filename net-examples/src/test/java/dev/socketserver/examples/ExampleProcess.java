package dev.socketserver.examples;

import dev.socketserver.api.testing.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * An example server in a child JVM, started like {@code ./run NAME} (see
 * {@link Loopback#exampleCommand}); its stdout and stderr go to files in a directory, so no pipe
 * fills up and its log can be read after it exited. Signals go to its PID only. Not thread-safe:
 * one test thread drives it.
 */
final class ExampleProcess implements AutoCloseable {
  private final String name;
  private final List<String> command;
  private final Process process;
  private final Path out;
  private final Path err;

  private ExampleProcess(String name, List<String> command, Process process, Path out, Path err) {
    this.name = name;
    this.command = command;
    this.process = process;
    this.out = out;
    this.err = err;
  }

  /** Starts {@code ./run args...} as {@code name}: its output goes to {@code dir/name.out} and {@code .err}. */
  static ExampleProcess start(Path dir, String name, List<String> args) throws IOException {
    List<String> command = Loopback.exampleCommand(args.toArray(String[]::new));
    Path out = dir.resolve(name + ".out");
    Path err = dir.resolve(name + ".err");
    Process process =
        new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    return new ExampleProcess(name, command, process, out, err);
  }

  /**
   * Waits until the example announces {@code <example>: listening on <host>:<port>} and returns
   * the port; fails if it exits first or {@code timeout} passes.
   */
  int awaitListening(Duration timeout) {
    Await.until(name + " listens", timeout, () -> {
      if (!process.isAlive()) {
        throw new AssertionError(name + " exited with " + process.exitValue() + " before it listened: " + this);
      }
      return listening().isPresent();
    });
    String address = listening().orElseThrow();
    return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
  }

  private Optional<String> listening() {
    return read(out).lines()
        .filter(l -> l.contains(": listening on "))
        .map(l -> l.substring(l.indexOf(": listening on ") + ": listening on ".length()).strip())
        .findFirst();
  }

  /** Sends SIGTERM to its PID: a graceful stop (stop accepting, drain, exit 0). */
  void terminate() {
    process.destroy();
  }

  /** Sends SIGKILL to its PID: gone at once, no drain. */
  void kill() {
    process.destroyForcibly();
  }

  /** Waits for it to exit; returns whether it did within {@code timeout}. */
  boolean awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Returns how many lines of its stderr (its log) contain {@code " WARN "}. */
  long warnings() {
    return warningLines().size();
  }

  /** Returns the lines of its stderr (its log) that contain {@code " WARN "}. */
  List<String> warningLines() {
    return read(err).lines().filter(l -> l.contains(" WARN ")).toList();
  }

  /** Kills it if it still runs, and waits for it. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ") " + command + "\nstdout:\n" + read(out) + "\nstderr:\n" + read(err);
  }

  static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }
}
