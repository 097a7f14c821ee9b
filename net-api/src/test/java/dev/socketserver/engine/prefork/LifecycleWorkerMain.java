package dev.socketserver.engine.prefork;

import dev.socketserver.api.Server;
import dev.socketserver.engine.core.FakeServers;

/**
 * The worker process of {@link SupervisorLifecycleTest}'s supervisors: a fake server (no socket)
 * linked to its supervisor as any worker is, serving until the supervisor drains it.
 */
public final class LifecycleWorkerMain {
  private LifecycleWorkerMain() {}

  public static void main(String[] args) throws Exception {
    WorkerEnvironment env = WorkerEnvironment.current()
        .orElseThrow(() -> new IllegalStateException("run by a supervisor, as its worker"));
    Server server = FakeServers.idle();
    WorkerLink.attach(server, env);
    server.serveForever();
  }
}
