package dev.socketserver.udp;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Server;
import dev.socketserver.api.testing.SupervisorProcess;
import java.nio.charset.StandardCharsets;

/**
 * A program serving UDP with {@code Concurrency.processes(2)}, run by {@link UdpProcessesTest} as a
 * {@link SupervisorProcess}: each datagram is answered with the index of the worker that got it.
 */
public final class UdpProcessServerMain {
  private UdpProcessServerMain() {}

  public static void main(String[] args) throws Exception {
    Server server = UdpServer.builder()
        .bind("127.0.0.1", 0)
        .concurrency(Concurrency.processes(2))
        .handler(d -> d.reply(
            String.valueOf(Concurrency.worker().orElseThrow().index()).getBytes(StandardCharsets.UTF_8)))
        .build();
    if (Concurrency.worker().isPresent()) {
      try (server) {
        server.serveForever();
      }
    } else {
      SupervisorProcess.serve(server);
    }
  }
}
