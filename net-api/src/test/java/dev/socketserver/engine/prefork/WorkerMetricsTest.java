package dev.socketserver.engine.prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.socketserver.api.ServerMetrics;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a worker publishes reaches its supervisor through the file, heartbeat included. */
class WorkerMetricsTest {

  @Test
  void eachPublishAdvancesTheHeartbeatWithoutDisturbingStateOrCounters(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("worker.counters");
    long[] v = new long[ServerMetrics.class.getRecordComponents().length];
    for (int i = 0; i < v.length; i++) {
      v[i] = 1000 + i;
    }
    ServerMetrics m = WorkerMetrics.metrics(v);
    try (WorkerMetrics supervisor = WorkerMetrics.open(file); WorkerMetrics worker = WorkerMetrics.open(file)) {
      assertEquals(0, supervisor.heartbeat());
      assertEquals(WorkerMetrics.STARTING, supervisor.state());
      for (int beat = 1; beat <= 3; beat++) {
        worker.publish(WorkerMetrics.SERVING, m);
        assertEquals(beat, supervisor.heartbeat());
      }
      assertEquals(WorkerMetrics.SERVING, supervisor.state());
      assertEquals(m, supervisor.read());
      supervisor.reset(); // for the next worker in this slot
      assertEquals(0, supervisor.heartbeat());
      assertEquals(WorkerMetrics.ZERO, supervisor.read());
    }
  }
}
