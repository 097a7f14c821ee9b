package dev.socketserver.engine.prefork;

import dev.socketserver.api.Concurrency;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What makes a process a worker of a {@code Concurrency.processes(n)} server: the environment
 * variable {@value Concurrency.Worker#VARIABLE} its supervisor sets,
 * {@code "index count key host port file"}. {@link Concurrency#worker()} reads the first two
 * fields, and this the whole value; {@link Concurrency.Worker} checks the index and count for
 * both.
 *
 * <p>{@code key} says which server of the program the worker serves: the program's servers with
 * processes policies are numbered in the order they are built ({@link Prefork}); {@code host}
 * and {@code port} are the resolved address to bind (an IP literal, so the worker does no name
 * lookup); {@code file} is the worker's counters file ({@link WorkerMetrics}). Immutable.
 *
 * @param index the worker's number, 0 to {@code count - 1}
 * @param count how many workers the server runs
 * @param key which processes server of the program this worker serves
 * @param address the address to bind, resolved
 * @param metricsFile where the worker publishes its counters
 */
public record WorkerEnvironment(
    int index, int count, int key, InetSocketAddress address, Path metricsFile) {
  private static final @Nullable String RAW = System.getenv(Concurrency.Worker.VARIABLE);
  private static final @Nullable WorkerEnvironment CURRENT = parseOrNull(RAW);

  /**
   * Returns this process's worker environment, empty if it is not a worker.
   *
   * @throws IllegalStateException if the variable is set but malformed
   */
  public static Optional<WorkerEnvironment> current() {
    String raw = RAW;
    if (raw != null && CURRENT == null) {
      parse(raw); // throws, saying what is wrong
    }
    return Optional.ofNullable(CURRENT);
  }

  /** Returns the variable's value for this environment. */
  String format() {
    return index + " " + count + " " + key + " " + address.getAddress().getHostAddress() + " "
        + address.getPort() + " " + metricsFile;
  }

  /**
   * Parses a value written by {@link #format()}.
   *
   * @throws IllegalStateException if it is malformed
   */
  static WorkerEnvironment parse(String value) {
    String[] f = value.split(" ", 6);
    try {
      if (f.length != 6) {
        throw new IllegalArgumentException("expected 6 fields");
      }
      var worker = new Concurrency.Worker(Integer.parseInt(f[0]), Integer.parseInt(f[1]));
      return new WorkerEnvironment(
          worker.index(),
          worker.count(),
          Integer.parseInt(f[2]),
          new InetSocketAddress(InetAddress.ofLiteral(f[3]), Integer.parseInt(f[4])),
          Path.of(f[5]));
    } catch (IllegalArgumentException e) { // NumberFormatException included
      throw new IllegalStateException(
          Concurrency.Worker.VARIABLE + " is malformed (" + e.getMessage() + "): '" + value + "'; it is set by the"
              + " supervisor of a Concurrency.processes(n) server for its workers, never by hand",
          e);
    }
  }

  private static @Nullable WorkerEnvironment parseOrNull(@Nullable String raw) {
    try {
      return raw == null ? null : parse(raw);
    } catch (IllegalStateException e) {
      return null;
    }
  }
}
