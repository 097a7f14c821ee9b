package dev.socketserver.engine.prefork;

import dev.socketserver.engine.telemetry.Logs;

import dev.socketserver.api.Server;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import org.slf4j.Logger;

/**
 * The worker's side of a {@code processes(n)} server: publishes the worker's counters and
 * heartbeat for the supervisor and drains the worker when the supervisor asks.
 *
 * <p>The heartbeat is what tells the supervisor the worker is alive ({@link Supervisor} kills a
 * serving worker whose heartbeat stops for the policy's heartbeat timeout), so it is given by a
 * platform thread of its own every {@link #PUBLISH_INTERVAL}: a worker busy with requests on
 * every carrier of its virtual threads still gives it, and only a stopped or frozen JVM does not.
 *
 * <p>The supervisor asks by closing the worker's standard input (the only thing it ever does
 * with it), so end of input means "drain and exit", whether the supervisor is shutting down or
 * died, even by {@code kill -9}: a worker never outlives its supervisor by more than its drain.
 * A worker sent SIGTERM (or SIGINT) drains too, from a shutdown hook.
 */
final class WorkerLink {
  private static final Logger log = Logs.get("dev.socketserver.Worker");
  /**
   * How often a worker publishes its counters and heartbeat: the supervisor's sums lag by at
   * most this.
   */
  static final Duration PUBLISH_INTERVAL = Duration.ofMillis(100);

  private WorkerLink() {}

  /** Links {@code server}, the worker's own server just built, to its supervisor. */
  static void attach(Server server, WorkerEnvironment worker) throws IOException {
    WorkerMetrics metrics = WorkerMetrics.open(worker.metricsFile());
    metrics.publish(WorkerMetrics.SERVING, server.metrics());
    String name = "worker " + worker.index() + " of " + worker.count();
    Thread.ofPlatform().daemon().name("socketserver-" + name + " metrics")
        .start(() -> publishUntilTerminated(server, metrics));
    Thread.ofPlatform().daemon().name("socketserver-" + name + " control")
        .start(() -> drainAtEndOfInput(server, name));
    Runtime.getRuntime().addShutdownHook(
        Thread.ofPlatform().name("socketserver-" + name + " drain").unstarted(server::close));
    log.debug("Server {} is {}, pid {}", server.localAddress(), name, ProcessHandle.current().pid());
  }

  private static void publishUntilTerminated(Server server, WorkerMetrics metrics) {
    try (metrics) {
      while (!server.awaitTermination(PUBLISH_INTERVAL)) {
        metrics.publish(WorkerMetrics.SERVING, server.metrics());
      }
      metrics.publish(WorkerMetrics.TERMINATED, server.metrics());
    } catch (InterruptedException | IOException e) {
      log.debug("Publishing counters stopped: {}", e.toString());
    } catch (RuntimeException e) {
      log.error("Publishing counters and heartbeat failed: the supervisor will kill this worker as hung", e);
    }
  }

  private static void drainAtEndOfInput(Server server, String name) {
    byte[] ignored = new byte[64];
    try {
      InputStream in = System.in;
      while (in.read(ignored) >= 0) {
        // The supervisor writes nothing: only the end of input means something.
      }
    } catch (IOException e) {
      log.debug("Reading the supervisor's pipe failed: {}", e.toString());
    }
    log.info("{} (pid {}): the supervisor asked to drain; shutting down", name, ProcessHandle.current().pid());
    // Not a daemon: the JVM stays up until the requests in flight are done, even if nothing else
    // of the program would keep it alive (handlers on virtual threads do not).
    Thread.ofPlatform().daemon(false).name("socketserver-" + name + " drain").start(server::close);
  }
}
