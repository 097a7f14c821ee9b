package dev.socketserver.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Server;
import dev.socketserver.api.testing.Await;
import dev.socketserver.api.testing.SupervisorProcess;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * With no SLF4J provider on the path (SLF4J then binds its NOP logger), the library's warnings
 * and errors still reach standard error, through the JDK's {@code System.Logger}: a child JVM runs
 * {@link Main} with only {@code slf4j-api}.
 */
@Timeout(60)
class NoLoggingProviderTest {

  @Test
  void handlerFailureReachesStandardErrorWithItsStackTraceWhenNoSlf4jProviderIsPresent() throws Exception {
    try (SupervisorProcess child = SupervisorProcess.withoutLoggingProvider(Main.class, "throw")) {
      int port = child.port();
      try (Socket client = new Socket("127.0.0.1", port)) {
        client.getOutputStream().write('x');
        assertEquals(-1, client.getInputStream().read(), "the server closes the failed connection");
      }
      child.awaitMetrics("1 0 0 1");
      Await.until("the handler's exception and a stack trace line on the child's stderr: " + child.log,
          Duration.ofSeconds(20), () -> {
            List<String> err = List.copyOf(child.log);
            return err.stream().anyMatch(line -> line.contains("handler bug!"))
                && err.stream().anyMatch(line -> line.startsWith("\tat "));
          });
      assertEquals(0, child.closeServer());
    }
  }

  @Test
  void filterRefusalIsLoggedAtDebugWhenTheJdkLoggerIsSetToDebug() throws Exception {
    try (SupervisorProcess child = SupervisorProcess.withoutLoggingProvider(Main.class, "refuse")) {
      int port = child.port();
      try (Socket client = new Socket("127.0.0.1", port)) {
        assertEquals(-1, client.getInputStream().read(), "the server closes the refused connection");
      }
      Await.until("the refusal on the child's stderr: " + child.log, Duration.ofSeconds(20),
          () -> List.copyOf(child.log).stream().anyMatch(line -> line.contains("refused by the filter")));
      assertEquals(0, child.closeServer());
    }
  }

  /**
   * A TCP server serving through {@link SupervisorProcess#serve}: with {@code throw} its handler
   * throws; with {@code refuse} its filter refuses every request and {@code java.util.logging} is
   * configured to log {@code dev.socketserver.Server} at DEBUG ({@code FINE}).
   */
  public static final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
      boolean refuse = args[0].equals("refuse");
      if (refuse) { // before java.util.logging reads its configuration, on the library's first log
        Path config = Files.createTempFile("logging", ".properties");
        config.toFile().deleteOnExit();
        Files.writeString(config, """
            handlers=java.util.logging.ConsoleHandler
            java.util.logging.ConsoleHandler.level=FINE
            dev.socketserver.Server.level=FINE
            """);
        System.setProperty("java.util.logging.config.file", config.toString());
      }
      Server server = TcpServer.builder()
          .bind("127.0.0.1", 0)
          .concurrency(Concurrency.virtualThreads())
          .filter(connection -> !refuse)
          .handler(connection -> {
            throw new IllegalStateException("handler bug!");
          })
          .build();
      SupervisorProcess.serve(server);
    }
  }
}
