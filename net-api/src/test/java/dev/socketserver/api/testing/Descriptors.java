package dev.socketserver.api.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/** Counts this process's open file descriptors (Linux {@code /proc/self/fd}), for leak tests. */
public final class Descriptors {
  private Descriptors() {}

  /** Returns how many descriptors this process has open now. */
  public static long open() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Returns what each open descriptor points to ("socket:[123]", a path), for failure messages. */
  public static String describe() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.map(fd -> {
            try {
              return fd.getFileName() + "->" + Files.readSymbolicLink(fd);
            } catch (IOException e) {
              return fd.getFileName() + "->(closed)";
            }
          })
          .sorted()
          .toList()
          .toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits until at most {@code count} descriptors are open: those closed in the background included. */
  public static void awaitAtMost(long count, Duration timeout) {
    Await.until("at most " + count + " descriptors open", timeout, () -> open() <= count);
  }
}
