package dev.socketserver.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The processes policy as a value: what it says, how it prints, what it refuses. */
class ConcurrencyTest {

  @Test
  void processesServeWithVirtualThreadsInEachWorkerByDefault() {
    Concurrency p = Concurrency.processes(4);
    assertEquals(Concurrency.Mode.PROCESSES, p.mode());
    assertEquals(4, p.workers());
    assertEquals(0, p.threads());
    assertEquals(Concurrency.virtualThreads(), p.perWorker());
    assertEquals("processes(4)", p.toString());
    assertEquals(Concurrency.processes(4, Concurrency.virtualThreads()), p);
  }

  @Test
  void optionsOfAProcessesPolicyApplyInEachWorker() {
    Concurrency p = Concurrency.processes(2, Concurrency.pool(8)).limit(64).waitOnClose(false);
    assertEquals(Concurrency.pool(8).limit(64).waitOnClose(false), p.perWorker());
    assertEquals(OptionalInt.of(64), p.limit());
    assertEquals("processes(2, pool(8).limit(64).waitOnClose(false))", p.toString());
    assertNotEquals(Concurrency.processes(2, Concurrency.pool(8)), p);
    assertEquals(0, Concurrency.pool(8).workers());
    assertEquals(Concurrency.pool(8), Concurrency.pool(8).perWorker());
  }

  @Test
  void aProcessesPolicyOutOfRangeOrNestedIsRefusedWithItsValue() {
    var e = assertThrows(IllegalArgumentException.class, () -> Concurrency.processes(0));
    assertTrue(e.getMessage().contains(": 0"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Concurrency.processes(1025));
    e = assertThrows(IllegalArgumentException.class,
        () -> Concurrency.processes(2, Concurrency.processes(2)));
    assertTrue(e.getMessage().contains("processes(2)"), e.getMessage());
  }

  @Test
  void aProcessesPolicyKeepsItsHeartbeatTimeoutThroughItsOtherOptions() {
    assertEquals(Duration.ofSeconds(5), Concurrency.processes(2).heartbeatTimeout());
    Concurrency p = Concurrency.processes(2, Concurrency.pool(8)).heartbeatTimeout(Duration.ofSeconds(30))
        .limit(64).daemon(true).waitOnClose(false);
    assertEquals(Duration.ofSeconds(30), p.heartbeatTimeout());
    assertEquals(Concurrency.pool(8).limit(64).daemon(true).waitOnClose(false), p.perWorker());
    assertEquals("processes(2, pool(8).limit(64).daemon(true).waitOnClose(false)).heartbeatTimeout(PT30S)", p.toString());
    assertNotEquals(Concurrency.processes(2), Concurrency.processes(2).heartbeatTimeout(Duration.ofSeconds(6)));
    assertEquals(Concurrency.processes(2), Concurrency.processes(2).heartbeatTimeout(Duration.ofSeconds(5)));
    assertEquals(Duration.ZERO, Concurrency.pool(8).heartbeatTimeout());
  }

  @Test
  void aHeartbeatTimeoutTooShortOrWithoutWorkersIsRefusedWithItsValue() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> Concurrency.processes(2).heartbeatTimeout(Duration.ofMillis(999)));
    assertTrue(e.getMessage().contains(": PT0.999S"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Concurrency.processes(2).heartbeatTimeout(Duration.ofSeconds(-5)));
    var s = assertThrows(IllegalStateException.class,
        () -> Concurrency.virtualThreads().heartbeatTimeout(Duration.ofSeconds(5)));
    assertTrue(s.getMessage().contains("virtualThreads()"), s.getMessage());
  }

  @Test
  void aProcessIsNoWorkerUnlessItsSupervisorSaysSo() {
    assertTrue(Concurrency.worker().isEmpty());
  }
}
