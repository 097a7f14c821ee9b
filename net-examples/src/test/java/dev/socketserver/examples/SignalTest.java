package dev.socketserver.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Ctrl-C and SIGTERM stop a server example gracefully with exit status 0. Signals need a process
 * of their own: the echo example runs in a child JVM, started the way {@code ./run echo} starts
 * it, from the same java binary and module path as this test.
 */
@Timeout(60)
class SignalTest {

  @ParameterizedTest
  @ValueSource(strings = {"TERM", "INT"})
  void aSignalShutsTheEchoServerDownAndItExitsZero(String signal, @TempDir Path dir) throws Exception {
    // A shell without job control starts a background command (`.ci/run &`) with SIGINT ignored;
    // every process below inherits that, and a JVM leaves an ignored SIGINT ignored, as it should.
    assumeFalse(signal.equals("INT") && sigintIgnored(),
        "SIGINT is ignored in this process (started in the background by a shell without job control), so the child cannot get it");
    List<String> command = Loopback.exampleCommand("echo", "--host", "127.0.0.1", "--port", "0");
    Path errors = dir.resolve("stderr.txt");
    Process child = new ProcessBuilder(command).redirectError(errors.toFile()).start();
    Supplier<String> stderr = () -> command + "\nchild's stderr:\n" + read(errors);
    try {
      BufferedReader stdout = child.inputReader(StandardCharsets.UTF_8);
      assertEquals("server is running ....", stdout.readLine(), stderr);
      if (signal.equals("TERM")) {
        child.destroy(); // SIGTERM on Unix
      } else {
        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(child.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor());
      }
      assertTrue(child.waitFor(30, TimeUnit.SECONDS), () -> "the child did not stop: " + stderr.get());
      assertEquals(0, child.exitValue(), stderr);
      assertTrue(read(errors).contains("SIG" + signal + ": shutting down"), stderr);
    } finally {
      child.destroyForcibly();
    }
  }

  /** Whether SIGINT (2) is ignored in this process: bit 1 of SigIgn in /proc/self/status. */
  private static boolean sigintIgnored() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("SigIgn:")) {
        return (Long.parseUnsignedLong(line.substring("SigIgn:".length()).strip(), 16) & (1L << 1)) != 0;
      }
    }
    return false;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

}
