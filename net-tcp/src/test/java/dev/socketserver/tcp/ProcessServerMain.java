package dev.socketserver.tcp;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Connection;
import dev.socketserver.api.Server;
import dev.socketserver.api.ServerMetrics;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A program serving TCP with {@code Concurrency.processes(2)}, run by {@link TcpProcessesTest} as
 * a child process: it is the supervisor there, and again each of its workers.
 *
 * <p>Usage: {@code ProcessServerMain serve|crash-worker-1|crash-all}. Its handler answers one line
 * per connection: {@code who} gets the worker's index; {@code hold} gets {@code held <index> <pid>}, then
 * waits for one more line and answers {@code done <index>}. The supervisor prints
 * {@code port <n>}, then answers commands on its standard input: {@code metrics} prints
 * {@code metrics <accepted> <active> <completed> <failed>}, {@code close} closes the server and
 * prints {@code closed <descendant processes left>}.
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
          .concurrency(Concurrency.processes(2))
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
      return;
    }
    out.println("port " + ((InetSocketAddress) server.localAddress()).getPort());
    server.start();
    BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = commands.readLine()) != null; ) {
      if (line.equals("metrics")) {
        ServerMetrics m = server.metrics();
        out.println("metrics " + m.accepted() + " " + m.active() + " " + m.completed() + " " + m.failed());
      } else if (line.equals("close")) {
        break;
      }
    }
    server.close();
    out.println("closed " + ProcessHandle.current().descendants().count());
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
