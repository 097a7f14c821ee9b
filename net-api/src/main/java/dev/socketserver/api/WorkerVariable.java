package dev.socketserver.api;

import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Reads {@value Concurrency.Worker#VARIABLE}, once, for {@link Concurrency#worker()}: the first
 * two of its fields, the worker's index and count. The supervisor writes the variable and the
 * prefork engine reads the fields after these (which server, where to bind, where to publish),
 * so this package imports nothing of the engine. Stateless; thread-safe.
 */
final class WorkerVariable {
  private static final @Nullable String RAW = System.getenv(Concurrency.Worker.VARIABLE);
  private static final Optional<Concurrency.Worker> CURRENT = parseOrEmpty(RAW);

  private WorkerVariable() {}

  /** See {@link Concurrency#worker()}. */
  static Optional<Concurrency.Worker> current() {
    String raw = RAW;
    if (raw != null && CURRENT.isEmpty()) {
      parse(raw); // throws, saying what is wrong
    }
    return CURRENT;
  }

  /**
   * Returns the worker a value of the variable names.
   *
   * @throws IllegalStateException if it is malformed
   */
  static Concurrency.Worker parse(String value) {
    String[] f = value.split(" ", 3);
    try {
      if (f.length < 2) {
        throw new IllegalArgumentException("expected the index and the count first");
      }
      return new Concurrency.Worker(Integer.parseInt(f[0]), Integer.parseInt(f[1]));
    } catch (IllegalArgumentException e) { // NumberFormatException included
      throw malformed(value, e);
    }
  }

  private static IllegalStateException malformed(String value, IllegalArgumentException e) {
    return new IllegalStateException(
        Concurrency.Worker.VARIABLE + " is malformed (" + e.getMessage() + "): '" + value + "'; it is set by the"
            + " supervisor of a Concurrency.processes(n) server for its workers, never by hand",
        e);
  }

  private static Optional<Concurrency.Worker> parseOrEmpty(@Nullable String raw) {
    try {
      return raw == null ? Optional.empty() : Optional.of(parse(raw));
    } catch (IllegalStateException e) {
      return Optional.empty();
    }
  }
}
