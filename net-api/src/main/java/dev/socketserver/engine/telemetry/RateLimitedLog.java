package dev.socketserver.engine.telemetry;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * One kind of log line that a peer can cause (a failed handshake, an untrusted PROXY source, bad
 * input, a limit hit), logged at a bounded rate so that no number of peers can flood the log:
 * at most {@link #BURST} lines per {@link #WINDOW}, then one summary line when the window ends,
 * {@code "<kind>: N more like this in the last 10 s (not logged)"}. Counters and Flight Recorder
 * events stay exact; only the log is sampled. The summary is written by a virtual thread that
 * lives only while something is suppressed, so a quiet server runs none.
 *
 * <p>A level the logger has turned off costs one check and counts nothing.
 *
 * <p>Thread-safe.
 */
public final class RateLimitedLog {
  /** Lines logged per window before the rest are only counted. */
  static final int BURST = 10;
  /** The window: a summary line at most this often per kind. */
  static final Duration WINDOW = Duration.ofSeconds(10);

  private final Logger log;
  private final Level level;
  private final String kind;
  private final long windowNanos;
  private final int burst;
  // Guarded by this.
  private long windowStart = System.nanoTime();
  private int logged;
  private long suppressed;
  private boolean summaryDue;

  /**
   * Creates a limiter for lines of {@code kind} (named in the summary, e.g. {@code "TLS handshake
   * failures"}) written to {@code log} at {@code level}.
   */
  public RateLimitedLog(Logger log, Level level, String kind) {
    this(log, level, kind, BURST, WINDOW);
  }

  RateLimitedLog(Logger log, Level level, String kind, int burst, Duration window) {
    this.log = log;
    this.level = level;
    this.kind = kind;
    this.burst = burst;
    this.windowNanos = window.toNanos();
  }

  /** Logs a line as SLF4J's {@code format} and {@code args} say, unless this window's burst is spent. */
  public void log(String format, @Nullable Object... args) {
    if (!log.isEnabledForLevel(level)) {
      return;
    }
    synchronized (this) {
      long now = System.nanoTime();
      if (now - windowStart >= windowNanos && !summaryDue) {
        windowStart = now;
        logged = 0;
      }
      if (logged >= burst) {
        suppressed++;
        if (!summaryDue) {
          summaryDue = true;
          long wait = windowStart + windowNanos - now;
          Thread.ofVirtual().name("socketserver-log-summary").start(() -> summarise(wait));
        }
        return;
      }
      logged++;
    }
    log.atLevel(level).log(format, args);
  }

  private String window() {
    long ms = windowNanos / 1_000_000;
    return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
  }

  /** After {@code waitNanos}, logs how many lines the window suppressed and opens a new window. */
  private void summarise(long waitNanos) {
    try {
      Thread.sleep(Duration.ofNanos(Math.max(0, waitNanos)));
    } catch (InterruptedException e) {
      // not expected: nobody holds this thread; summarise now
    }
    long n;
    synchronized (this) {
      n = suppressed;
      suppressed = 0;
      summaryDue = false;
      windowStart = System.nanoTime();
      logged = 0;
    }
    log.atLevel(level).log("{}: {} more like this in the last {} (not logged; counted exactly"
        + " in ServerMetrics and Flight Recorder events)", kind, n, window());
  }
}
