package dev.socketserver.tcp;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Connection;
import dev.socketserver.api.Server;
import dev.socketserver.api.testing.SupervisorProcess;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A program serving TCP with {@code Concurrency.processes(2)}, run by {@link TcpProcessesTest} as
 * a {@link SupervisorProcess}.
 *
 * <p>Usage: {@code ProcessServerMain serve|watchdog|crash-worker-1|crash-all}; {@code watchdog}
 * serves like {@code serve} with a heartbeat timeout of 1 s instead of the default. Its handler answers one line
 * per connection: {@code who} gets the worker's index; {@code hold} gets {@code held <index> <pid>}, then
 * waits for one more line and answers {@code done <index>}. The supervisor talks to the test
 * through {@link SupervisorProcess#serve}.
 */
public final class ProcessServerMain {
  private ProcessServerMain() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    var worker = Concurrency.worker();
    if (worker.isPresent()
        && (mode.equals("crash-all") || (mode.equals("crash-worker-1") && worker.get().index() == 1))) {
      Runtime.getRuntime().halt(3); // a worker that cannot start
    }
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    Server server;
    try {
      server = TcpServer.builder()
          .bind("127.0.0.1", 0)
          .concurrency(
              mode.equals("watchdog")
                  ? Concurrency.processes(2).heartbeatTimeout(Duration.ofSeconds(1))
                  : Concurrency.processes(2))
          .drainTimeout(Duration.ofSeconds(30))
          .handler(ProcessServerMain::handle)
          .build();
    } catch (IOException e) {
      out.println("failed " + e.getMessage());
      return;
    }
    if (worker.isPresent()) {
      try (server) {
        server.serveForever();
      }
    } else {
      SupervisorProcess.serve(server);
    }
  }

  private static void handle(Connection c) throws IOException {
    int index = Concurrency.worker().orElseThrow().index();
    String request = c.readLine(100);
    if ("who".equals(request)) {
      c.output().write((index + "\n").getBytes(StandardCharsets.UTF_8));
    } else if ("hold".equals(request)) {
      c.output().write(("held " + index + " " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8));
      c.output().flush();
      c.readLine(100);
      c.output().write(("done " + index + "\n").getBytes(StandardCharsets.UTF_8));
    }
  }
}
