package dev.socketserver.tcp;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Server;
import java.time.Duration;

/**
 * A child JVM for {@link SocketActivationTest}: serves one request on the inherited listening
 * socket, replying with its process id and the line it read, then exits. If building fails it
 * prints the message and exits with 2.
 */
final class ActivatedServer {
  private ActivatedServer() {}

  public static void main(String[] args) throws Exception {
    Server server;
    try {
      server = TcpServer.builder().inheritedChannel().concurrency(Concurrency.sequential())
          .handler(c -> c.output().write(("pid " + ProcessHandle.current().pid() + " " + c.readLine(100) + "\n")
              .getBytes(UTF_8)))
          .build();
    } catch (java.io.IOException e) {
      System.out.println(e.getMessage());
      System.exit(2);
      return;
    }
    try (server) {
      server.handleRequest(Duration.ofSeconds(30));
    }
  }
}
