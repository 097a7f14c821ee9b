package dev.socketserver.engine.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

class SystemLoggerAdapterTest {

  /** One call that reached the JDK logger. */
  record Entry(System.Logger.Level level, String message, @Nullable Throwable thrown) {}

  /** A JDK logger that records what it is given, loggable from {@code threshold} up. */
  static final class Recording implements System.Logger {
    final List<Entry> entries = new ArrayList<>();
    final System.Logger.Level threshold;

    Recording(System.Logger.Level threshold) {
      this.threshold = threshold;
    }

    @Override
    public String getName() {
      return "dev.socketserver.Server";
    }

    @Override
    public boolean isLoggable(System.Logger.Level level) {
      return level.getSeverity() >= threshold.getSeverity();
    }

    @Override
    public void log(System.Logger.Level level, @Nullable ResourceBundle bundle, String msg, @Nullable Throwable thrown) {
      entries.add(new Entry(level, msg, thrown));
    }

    @Override
    public void log(System.Logger.Level level, @Nullable ResourceBundle bundle, String format, @Nullable Object... params) {
      entries.add(new Entry(level, format, null));
    }

    @Override
    public void log(System.Logger.Level level, Supplier<String> msgSupplier) {
      entries.add(new Entry(level, msgSupplier.get(), null));
    }
  }

  @Test
  void eachSlf4jLevelMapsToItsJdkNamesake() {
    Recording jdk = new Recording(System.Logger.Level.ALL);
    SystemLoggerAdapter log = new SystemLoggerAdapter(jdk);
    log.error("e");
    log.warn("w");
    log.info("i");
    log.debug("d");
    log.trace("t");
    assertEquals(
        List.of(
            new Entry(System.Logger.Level.ERROR, "e", null),
            new Entry(System.Logger.Level.WARNING, "w", null),
            new Entry(System.Logger.Level.INFO, "i", null),
            new Entry(System.Logger.Level.DEBUG, "d", null),
            new Entry(System.Logger.Level.TRACE, "t", null)),
        jdk.entries);
    assertEquals("dev.socketserver.Server", log.getName());
  }

  @Test
  void placeholdersAreFilledAndATrailingThrowableIsPassedOn() {
    Recording jdk = new Recording(System.Logger.Level.ALL);
    SystemLoggerAdapter log = new SystemLoggerAdapter(jdk);
    IllegalStateException bug = new IllegalStateException("handler bug!");
    log.warn("Handler failed for {} after {} ms", "127.0.0.1:5000", 12, bug);
    log.info("{} {}", "one", "two");
    assertEquals(System.Logger.Level.WARNING, jdk.entries.get(0).level());
    assertEquals("Handler failed for 127.0.0.1:5000 after 12 ms", jdk.entries.get(0).message());
    assertSame(bug, jdk.entries.get(0).thrown());
    assertEquals("one two", jdk.entries.get(1).message());
    assertNull(jdk.entries.get(1).thrown());
  }

  @Test
  void fluentApiAndLevelChecksFollowWhatTheJdkLoggerFinds() {
    Recording jdk = new Recording(System.Logger.Level.INFO);
    SystemLoggerAdapter log = new SystemLoggerAdapter(jdk);
    assertTrue(log.isEnabledForLevel(Level.WARN));
    assertTrue(log.isInfoEnabled());
    assertFalse(log.isEnabledForLevel(Level.DEBUG));
    assertFalse(log.isTraceEnabled());
    IllegalStateException bug = new IllegalStateException("handler bug!");
    log.atLevel(Level.ERROR).log("Failed for {}", "client", bug);
    log.atLevel(Level.DEBUG).log("not {}", "logged");
    assertEquals(List.of(new Entry(System.Logger.Level.ERROR, "Failed for client", bug)), jdk.entries);
  }

  @Test
  void rateLimitedLinesReachTheJdkLogger() {
    Recording jdk = new Recording(System.Logger.Level.INFO);
    RateLimitedLog lines = new RateLimitedLog(new SystemLoggerAdapter(jdk), Level.WARN, "Handler failures");
    lines.log("Handler failed for {}", "client", new IllegalStateException("handler bug!"));
    assertEquals(1, jdk.entries.size());
    assertEquals("Handler failed for client", jdk.entries.get(0).message());
    assertEquals("handler bug!", jdk.entries.get(0).thrown().getMessage());
  }

  @Test
  void anSlf4jProviderOnThePathIsUsed() {
    // The tests run with slf4j-simple: the library's loggers are SLF4J's own.
    assertFalse(Logs.noProvider());
    assertFalse(Logs.get("dev.socketserver.Server") instanceof SystemLoggerAdapter);
  }
}
