package dev.socketserver.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/**
 * The policies as values: what they say, how they print, what they refuse. A worker process
 * with worker processes of its own, {@code daemon(...)} on virtual threads and a heartbeat
 * timeout without workers no longer compile, so no test here can ask for them.
 */
class ConcurrencyTest {

  @Test
  void processesServeWithVirtualThreadsInEachWorkerByDefault() {
    Concurrency.Processes p = Concurrency.processes(4);
    assertEquals(4, p.workers());
    assertEquals(Concurrency.virtualThreads(), p.perWorker());
    assertEquals("processes(4)", p.toString());
    assertEquals(Concurrency.processes(4, Concurrency.virtualThreads()), p);
  }

  @Test
  void optionsOfAProcessesPolicyApplyInEachWorker() {
    Concurrency.Processes p = Concurrency.processes(2, Concurrency.pool(8).limit(64).waitOnClose(false));
    assertEquals(Concurrency.pool(8).limit(64).waitOnClose(false), p.perWorker());
    assertEquals(64, p.perWorker().limit());
    assertEquals("processes(2, pool(8).limit(64).waitOnClose(false))", p.toString());
    assertNotEquals(Concurrency.processes(2, Concurrency.pool(8)), p);
  }

  @Test
  void aProcessesPolicyOutOfRangeIsRefusedWithItsValue() {
    var e = assertThrows(IllegalArgumentException.class, () -> Concurrency.processes(0));
    assertTrue(e.getMessage().contains(": 0"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Concurrency.processes(1025));
  }

  @Test
  void aProcessesPolicyKeepsItsHeartbeatTimeoutAndItsWorkersPolicy() {
    assertEquals(Duration.ofSeconds(5), Concurrency.processes(2).heartbeatTimeout());
    Concurrency.Processes p = Concurrency.processes(2, Concurrency.pool(8).limit(64).daemon(true).waitOnClose(false))
        .heartbeatTimeout(Duration.ofSeconds(30));
    assertEquals(Duration.ofSeconds(30), p.heartbeatTimeout());
    assertEquals(Concurrency.pool(8).limit(64).daemon(true).waitOnClose(false), p.perWorker());
    assertEquals("processes(2, pool(8).limit(64).daemon(true).waitOnClose(false)).heartbeatTimeout(PT30S)", p.toString());
    assertNotEquals(Concurrency.processes(2), Concurrency.processes(2).heartbeatTimeout(Duration.ofSeconds(6)));
    assertEquals(Concurrency.processes(2), Concurrency.processes(2).heartbeatTimeout(Duration.ofSeconds(5)));
  }

  @Test
  void aHeartbeatTimeoutTooShortIsRefusedWithItsValue() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> Concurrency.processes(2).heartbeatTimeout(Duration.ofMillis(999)));
    assertTrue(e.getMessage().contains(": PT0.999S"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Concurrency.processes(2).heartbeatTimeout(Duration.ofSeconds(-5)));
  }

  @Test
  void eachPolicyPrintsAsWrittenInCodeShowingOnlyWhatDiffersFromItsDefaults() {
    assertEquals("sequential()", Concurrency.sequential().toString());
    assertEquals("sequential().waitOnClose(false)", Concurrency.sequential().waitOnClose(false).toString());
    assertEquals("platformThreads()", Concurrency.platformThreads().daemon(true).toString());
    assertEquals("platformThreads().limit(2).daemon(false)", Concurrency.platformThreads().daemon(false).limit(2).toString());
    assertEquals("virtualThreads().limit(10000)", Concurrency.virtualThreads().limit(10_000).toString());
    assertEquals("pool(8)", Concurrency.pool(8).limit(8).daemon(false).toString());
    Executor direct = Runnable::run;
    assertEquals("executor(" + direct + ").limit(3).waitOnClose(false)",
        Concurrency.executor(direct).limit(3).waitOnClose(false).toString());
  }

  @Test
  void policiesAreEqualWhenTheySayTheSame() {
    assertEquals(Concurrency.virtualThreads(), Concurrency.virtualThreads().limit(4).limit(Integer.MAX_VALUE));
    assertEquals(Concurrency.virtualThreads().hashCode(), Concurrency.virtualThreads().limit(4).limit(Integer.MAX_VALUE).hashCode());
    assertEquals(Concurrency.pool(4), Concurrency.pool(4).daemon(true).daemon(false));
    assertNotEquals(Concurrency.pool(4), Concurrency.pool(4).limit(5));
    assertNotEquals(Concurrency.platformThreads(), Concurrency.platformThreads().daemon(false));
    assertNotEquals(Concurrency.sequential(), Concurrency.sequential().waitOnClose(false));
    Executor one = Runnable::run;
    Executor other = Runnable::run;
    assertEquals(Concurrency.executor(one), Concurrency.executor(one));
    assertNotEquals(Concurrency.executor(one), Concurrency.executor(other));
  }

  @Test
  void theLimitIsWhatTheServerWaitsAtAndUnlimitedUnlessSet() {
    assertEquals(1, Concurrency.sequential().limit());
    assertEquals(Integer.MAX_VALUE, Concurrency.virtualThreads().limit());
    assertEquals(Integer.MAX_VALUE, Concurrency.platformThreads().limit());
    assertEquals(Integer.MAX_VALUE, Concurrency.executor(Runnable::run).limit());
    assertEquals(8, Concurrency.pool(8).limit());
    assertEquals(64, Concurrency.pool(8).limit(64).limit());
  }

  @Test
  void aLimitOrPoolBelowOneOrANullExecutorIsRefusedWithItsValue() {
    var e = assertThrows(IllegalArgumentException.class, () -> Concurrency.virtualThreads().limit(0));
    assertEquals("limit < 1: 0", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Concurrency.platformThreads().limit(-1));
    assertThrows(IllegalArgumentException.class, () -> Concurrency.executor(Runnable::run).limit(0));
    e = assertThrows(IllegalArgumentException.class, () -> Concurrency.pool(0));
    assertEquals("pool threads < 1: 0", e.getMessage());
    assertThrows(NullPointerException.class, () -> Concurrency.executor(null));
  }

  @Test
  void aProcessIsNoWorkerUnlessItsSupervisorSaysSo() {
    assertTrue(Concurrency.worker().isEmpty());
  }

  @Test
  void theWorkerVariableGivesIndexAndCountAndAMalformedOneSaysSo() {
    assertEquals(new Concurrency.Worker(1, 4), WorkerVariable.parse("1 4 2 127.0.0.1 3130 /tmp/a file"));
    assertEquals(new Concurrency.Worker(0, 1), WorkerVariable.parse("0 1"));
    var e = assertThrows(IllegalStateException.class, () -> WorkerVariable.parse("2 2 0 127.0.0.1 1 /f"));
    assertTrue(e.getMessage().contains("index 2 not in 0..1") && e.getMessage().contains("never by hand"),
        e.getMessage());
    assertThrows(IllegalStateException.class, () -> WorkerVariable.parse("0"));
    assertThrows(IllegalStateException.class, () -> WorkerVariable.parse("x 1"));
  }
}
