package dev.socketserver.unix;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Server;
import java.io.IOException;
import java.time.Duration;

/**
 * A child JVM for {@link SocketActivationTest}: serves one request on the inherited listening
 * Unix-domain socket, replying with its process id and the line it read; after closing the server
 * prints {@code closed} (so the test sees that standard output survived the close) and exits. If
 * building fails it prints the message and exits with 2.
 */
final class ActivatedUnixServer {
  private ActivatedUnixServer() {}

  public static void main(String[] args) throws Exception {
    Server server;
    try {
      server = UnixStreamServer.builder().inheritedChannel().concurrency(Concurrency.sequential())
          .handler(c -> c.output().write(("pid " + ProcessHandle.current().pid() + " " + c.readLine(100) + "\n")
              .getBytes(UTF_8)))
          .build();
    } catch (IOException e) {
      System.out.println(e.getMessage());
      System.exit(2);
      return;
    }
    try (server) {
      server.handleRequest(Duration.ofSeconds(30));
    }
    System.out.println("closed");
  }
}
