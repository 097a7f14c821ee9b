package dev.socketserver.engine.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.event.EventRecordingLogger;
import org.slf4j.event.Level;
import org.slf4j.event.SubstituteLoggingEvent;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.SubstituteLogger;

@Timeout(30)
class RateLimitedLogTest {
  private final Queue<SubstituteLoggingEvent> events = new ConcurrentLinkedQueue<>();
  private final EventRecordingLogger logger =
      new EventRecordingLogger(new SubstituteLogger("test", events, false), events);

  private List<String> lines() {
    return events.stream()
        .map(e -> MessageFormatter.arrayFormat(e.getMessage(), e.getArgumentArray()).getMessage())
        .toList();
  }

  @Test
  void aFloodLogsTheBurstThenOneSummaryCountingTheRestExactly() throws Exception {
    RateLimitedLog log = new RateLimitedLog(logger, Level.WARN, "Bad input", 3, Duration.ofMillis(300));
    try (ExecutorService peers = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 1000; i++) {
        int n = i;
        peers.submit(() -> log.log("Bad input from peer {}", n));
      }
    }
    // Every event is logged or counted in a summary. A slow machine may spread the flood over
    // more than one window, so the lines are added up, not assumed to be exactly 3 + 1.
    Await.until("every event logged or summarised", Duration.ofSeconds(10), () -> {
      long logged = lines().stream().filter(l -> l.startsWith("Bad input from")).count();
      long summarised = lines().stream().filter(l -> l.startsWith("Bad input: "))
          .mapToLong(l -> Long.parseLong(l.replaceAll("Bad input: (\\d+) more.*", "$1"))).sum();
      return logged + summarised == 1000;
    });
    List<String> lines = lines();
    assertTrue(lines.subList(0, 3).stream().allMatch(l -> l.startsWith("Bad input from")), lines::toString);
    assertTrue(lines.get(3).matches("Bad input: \\d+ more like this in the last 300 ms \\(not logged;"
        + " counted exactly in ServerMetrics and Flight Recorder events\\)"), lines.get(3));
    assertTrue(events.stream().allMatch(e -> e.getLevel() == Level.WARN));
  }

  @Test
  void afterTheWindowTheNextBurstIsLoggedAgain() throws Exception {
    RateLimitedLog log = new RateLimitedLog(logger, Level.INFO, "Limit", 2, Duration.ofMillis(100));
    for (int i = 0; i < 5; i++) {
      log.log("line {}", i);
    }
    Await.until("the summary", Duration.ofSeconds(10), () -> lines().size() == 3);
    log.log("line {}", 5);
    log.log("line {}", 6);
    log.log("line {}", 7);
    assertEquals(List.of("line 0", "line 1"), lines().subList(0, 2));
    assertTrue(lines().get(2).startsWith("Limit: 3 more like this"), lines()::toString);
    assertEquals(List.of("line 5", "line 6"), lines().subList(3, 5));
  }

  @Test
  void aQuietKindLogsEveryLineAndNoSummary() {
    RateLimitedLog log = new RateLimitedLog(logger, Level.INFO, "Limit", 10, Duration.ofSeconds(10));
    for (int i = 0; i < 10; i++) {
      log.log("line {}", i);
    }
    assertEquals(10, lines().size());
    assertTrue(lines().stream().noneMatch(l -> l.contains("more like this")));
  }
}
