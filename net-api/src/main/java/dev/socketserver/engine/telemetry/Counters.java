package dev.socketserver.engine.telemetry;

import dev.socketserver.api.ServerListener;
import dev.socketserver.api.ServerMetrics;
import dev.socketserver.spi.Traffic;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.jspecify.annotations.Nullable;
import org.slf4j.event.Level;

/** A server's counters, added to from any thread. Thread-safe. */
public final class Counters implements Traffic {
  private static final Logger log = Logs.get("dev.socketserver.Limits");

  /** Counters no server reads: for client connections. They log nothing. */
  public static final Counters UNUSED = new Counters(false);

  public final LongAdder accepted = new LongAdder();
  public final LongAdder completed = new LongAdder();
  public final LongAdder failed = new LongAdder();
  public final LongAdder rejected = new LongAdder();
  public final LongAdder cut = new LongAdder();
  public final LongAdder probes = new LongAdder();
  private final LongAdder bytesRead = new LongAdder();
  private final LongAdder bytesWritten = new LongAdder();
  private final LongAdder replies = new LongAdder();
  // Filled in the constructor, read-only afterwards.
  private final Map<Limit, LongAdder> limits = new EnumMap<>(Limit.class);
  private final Map<Limit, RateLimitedLog> limitLogs = new EnumMap<>(Limit.class);
  private final boolean logs;
  // Null until a listener is added: without one, a connection's close costs a null check only.
  private volatile ServerListener @Nullable [] listeners;
  private final RateLimitedLog listenerFailures =
      new RateLimitedLog(log, Level.WARN, "ServerListener failures");

  /**
   * Returns the counters behind {@code traffic}, which {@code ServerFactory} made: this
   * repository's stream transports hand them on to the stream engine.
   *
   * @throws IllegalArgumentException if {@code traffic} did not come from {@code ServerFactory}
   */
  public static Counters of(Traffic traffic) {
    if (traffic instanceof Counters c) {
      return c;
    }
    throw new IllegalArgumentException("not a server's counters: " + traffic);
  }

  /** Creates a server's counters, all zero. */
  public Counters() {
    this(true);
  }

  private Counters(boolean logs) {
    this.logs = logs;
    for (Limit limit : Limit.values()) {
      limits.put(limit, new LongAdder());
      limitLogs.put(limit, new RateLimitedLog(log, Level.INFO, "Limit reached: " + limit.key()));
    }
  }

  /** Counts {@code n} bytes received from a client. */
  @Override
  public void read(long n) {
    bytesRead.add(n);
  }

  /** Counts {@code n} bytes sent to a client. */
  @Override
  public void written(long n) {
    bytesWritten.add(n);
  }

  /** Counts one reply datagram of {@code n} bytes sent to a client (also counted as written). */
  @Override
  public void replied(long n) {
    replies.increment();
    bytesWritten.add(n);
  }

  /**
   * Counts a limit that bit, emits its Flight Recorder event, and logs
   * {@code "Limit reached: <key> (<value>) at <where>"} at INFO at a bounded rate per limit
   * ({@link RateLimitedLog}: a peer can make limits bite as often as it likes).
   *
   * @param where the client, or the server for a server-wide limit
   * @param value the limit's value, for the log line
   */
  public void hit(Limit limit, Object where, Object value) {
    count(limit).increment();
    Events.limitReached(limit, where, value);
    if (logs) {
      Objects.requireNonNull(limitLogs.get(limit)).log(
          "Limit reached: {} ({}) at {}; counted in ServerMetrics.{}",
          limit.key(), value, where, limit.metric());
    }
  }

  /**
   * Adds {@code l} to the listeners told of each connection closed; thread-safe.
   *
   * @throws IllegalStateException on {@link #UNUSED}, whose connections no server reports
   */
  public synchronized void addListener(ServerListener l) {
    Objects.requireNonNull(l, "listener");
    if (this == UNUSED) {
      throw new IllegalStateException("Counters.UNUSED takes no listener: " + l);
    }
    ServerListener[] before = listeners;
    ServerListener[] after;
    if (before == null) {
      after = new ServerListener[] {l};
    } else {
      after = Arrays.copyOf(before, before.length + 1);
      after[before.length] = l;
    }
    listeners = after;
  }

  /**
   * Reports a stream connection opened at {@code openedAt} ({@link System#nanoTime()}) and just
   * closed to each listener, if any; an exception a listener throws is logged, not thrown, and
   * the other listeners are still called.
   */
  public void closed(long openedAt) {
    ServerListener[] ls = listeners;
    if (ls != null) {
      Duration d = Duration.ofNanos(System.nanoTime() - openedAt);
      for (ServerListener l : ls) {
        try {
          l.connectionClosed(d);
        } catch (RuntimeException e) {
          listenerFailures.log("ServerListener {} failed; the connection closed anyway", l, e);
        }
      }
    }
  }

  private LongAdder count(Limit limit) {
    return Objects.requireNonNull(limits.get(limit));
  }

  public ServerMetrics snapshot(long active) {
    return new ServerMetrics(
        accepted.sum(),
        active,
        completed.sum(),
        failed.sum(),
        rejected.sum(),
        bytesRead.sum(),
        bytesWritten.sum(),
        replies.sum(),
        count(Limit.READ_TIMEOUT).sum(),
        count(Limit.WRITE_TIMEOUT).sum(),
        count(Limit.IDLE_TIMEOUT).sum(),
        count(Limit.LIFETIME).sum(),
        count(Limit.CONCURRENCY).sum(),
        cut.sum(),
        count(Limit.INBOUND_BUDGET).sum(),
        count(Limit.TLS_RENEGOTIATION).sum(),
        probes.sum());
  }
}
