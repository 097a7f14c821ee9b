package dev.socketserver.unix;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Concurrency;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Unix-domain sockets cannot be shared by worker processes: processes(n) fails in build(). */
@Timeout(10)
class UnixProcessesTest {
  @TempDir Path dir;

  @Test
  void aStreamServerRefusesWorkerProcessesBeforeBinding() {
    Path path = dir.resolve("s.sock");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> UnixStreamServer.builder()
        .bind(path).concurrency(Concurrency.processes(2)).handler(c -> {}).build());
    assertTrue(e.getMessage().contains("virtualThreads()"), e.getMessage());
    assertFalse(Files.exists(path));
  }

  @Test
  void aDatagramServerRefusesWorkerProcessesBeforeBinding() {
    Path path = dir.resolve("d.sock");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> UnixDatagramServer.builder()
        .bind(path).concurrency(Concurrency.processes(2)).handler(d -> {}).build());
    assertTrue(e.getMessage().contains("virtualThreads()"), e.getMessage());
    assertFalse(Files.exists(path));
  }
}
