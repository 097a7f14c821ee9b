package dev.socketserver.tcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Connection;
import dev.socketserver.api.Server;
import dev.socketserver.api.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The server's Flight Recorder events, recorded and read back as {@code jfr print} would. */
@Timeout(60)
class FlightRecorderTest {

  @Test
  void aRecordingHoldsConnectionHandlerAndLimitEvents(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("socketserver.jfr");
    try (Recording recording = new Recording()) {
      for (String name : List.of("ConnectionAccepted", "ConnectionClosed", "HandlerFailed", "LimitReached")) {
        recording.enable("dev.socketserver." + name);
      }
      recording.start();
      try (Server server = TcpServer.builder().bind("127.0.0.1", 0)
          .readTimeout(Duration.ofMillis(20))
          .errorHandler((c, e) -> {})
          .handler(c -> {
            c.output().write((c.readLine(100) + "\n").getBytes(UTF_8));
            c.readLine(100); // times out: the handler fails
          })
          .build().start()) {
        try (Connection c = TcpClient.connect("127.0.0.1", ((java.net.InetSocketAddress) server.localAddress()).getPort(),
            Duration.ofSeconds(5))) {
          c.output().write("ping\n".getBytes(UTF_8));
          assertEquals("ping", c.readLine(100));
          assertEquals(-1, c.input().read());
        }
        Await.until("failed", Duration.ofSeconds(10), () -> server.metrics().failed() == 1);
      }
      recording.stop();
      recording.dump(file);
    }
    Map<String, List<RecordedEvent>> byType = RecordingFile.readAllEvents(file).stream()
        .collect(Collectors.groupingBy(e -> e.getEventType().getName()));
    assertEquals(1, byType.get("dev.socketserver.ConnectionAccepted").size(), byType::toString);
    RecordedEvent failed = byType.get("dev.socketserver.HandlerFailed").get(0);
    assertEquals("java.net.SocketTimeoutException", failed.getString("exception"));
    RecordedEvent limit = byType.get("dev.socketserver.LimitReached").get(0);
    assertEquals("read-timeout", limit.getString("limit"));
    boolean serverSide = byType.get("dev.socketserver.ConnectionClosed").stream()
        .anyMatch(e -> e.getLong("bytesRead") == 5 && e.getLong("bytesWritten") == 5
            && e.getDuration("lifetime").compareTo(Duration.ofMillis(20)) >= 0);
    assertTrue(serverSide, () -> byType.get("dev.socketserver.ConnectionClosed").toString());
  }
}
