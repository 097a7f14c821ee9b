package dev.socketserver.engine.stream;

import dev.socketserver.engine.core.ChannelTimeouts;
import dev.socketserver.engine.telemetry.Limit;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The idle timeout and maximum lifetime of a server's connections, checked by its poller's
 * sweep rather than by a timer per connection: a connection is closed between its deadline and
 * one sweep interval later. Immutable and thread-safe.
 *
 * @param idleNanos no byte either way for this long closes a connection; 0 for never
 * @param lifetimeNanos a connection older than this is closed; 0 for never
 */
record Deadlines(long idleNanos, long lifetimeNanos) {
  private static final long MIN_SWEEP = Duration.ofMillis(10).toNanos();
  private static final long MAX_SWEEP = Duration.ofSeconds(1).toNanos();

  /** Returns the deadlines, or null if neither is set. */
  static @Nullable Deadlines of(Duration idle, Duration lifetime) {
    long i = ChannelTimeouts.nanos(idle);
    long l = ChannelTimeouts.nanos(lifetime);
    return i == 0 && l == 0 ? null : new Deadlines(i, l);
  }

  /** Returns how often the poller sweeps: an eighth of the shorter deadline, 10 ms to 1 s. */
  Duration sweepInterval() {
    long shorter = Math.min(idleNanos == 0 ? Long.MAX_VALUE : idleNanos,
        lifetimeNanos == 0 ? Long.MAX_VALUE : lifetimeNanos);
    return Duration.ofNanos(Math.clamp(shorter / 8, MIN_SWEEP, MAX_SWEEP));
  }

  /** Returns the limit a connection opened and last active at these times has passed, if any. */
  @Nullable Limit passed(long openedAt, long lastActivity, long now) {
    if (lifetimeNanos != 0 && now - openedAt - lifetimeNanos >= 0) {
      return Limit.LIFETIME;
    }
    if (idleNanos != 0 && now - lastActivity - idleNanos >= 0) {
      return Limit.IDLE_TIMEOUT;
    }
    return null;
  }

  /** Returns the value of {@code limit}, for log lines. */
  Duration value(Limit limit) {
    return Duration.ofNanos(limit == Limit.LIFETIME ? lifetimeNanos : idleNanos);
  }
}
