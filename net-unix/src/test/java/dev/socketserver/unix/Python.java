package dev.socketserver.unix;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a small python3 script (passed with {@code -c}) as a non-Java peer. */
final class Python {
  private Python() {}

  /** Runs {@code script} with {@code args} and returns its standard output; fails unless it exits 0 within 20 s. */
  static String run(String script, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("python3", "-c", script));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).start();
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> {
      try {
        return new String(p.getErrorStream().readAllBytes(), UTF_8);
      } catch (IOException e) {
        return e.toString();
      }
    });
    String out = new String(p.getInputStream().readAllBytes(), UTF_8);
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("python3 did not finish in 20 s; output: " + out);
    }
    if (p.exitValue() != 0) {
      throw new AssertionError("python3 exited " + p.exitValue() + ": " + err.join() + "\noutput: " + out);
    }
    return out;
  }
}
