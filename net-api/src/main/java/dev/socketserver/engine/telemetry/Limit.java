package dev.socketserver.engine.telemetry;

/**
 * The limits a server enforces, each counted in {@link dev.socketserver.api.ServerMetrics} and
 * logged as {@code "Limit reached: <key> ..."} at a bounded rate ({@link RateLimitedLog}).
 */
public enum Limit {
  /** The concurrency limit made the serving thread wait before accepting. */
  CONCURRENCY("concurrency-limit", "limitWaits"),
  /** A read waited longer than the connection's read timeout. */
  READ_TIMEOUT("read-timeout", "readTimeouts"),
  /** A write waited longer than the connection's write timeout. */
  WRITE_TIMEOUT("write-timeout", "writeTimeouts"),
  /** A connection moved no byte either way for the idle timeout and was closed. */
  IDLE_TIMEOUT("idle-timeout", "idleTimeouts"),
  /** A connection outlived the maximum connection lifetime and was closed. */
  LIFETIME("max-lifetime", "lifetimeExpirations"),
  /**
   * A connection asked for more inbound memory (a growing partial frame, unread input) than the
   * server-wide inbound budget had left, and was closed.
   */
  INBOUND_BUDGET("inbound-budget", "inboundBudgetHits"),
  /** A TLS client started a renegotiation, which the server refuses: alert, then close. */
  TLS_RENEGOTIATION("tls-renegotiation", "renegotiationsRefused");

  private final String key;
  private final String metric;

  Limit(String key, String metric) {
    this.key = key;
    this.metric = metric;
  }

  /** Returns the stable name used in log lines and events, for example {@code idle-timeout}. */
  public String key() {
    return key;
  }

  /** Returns the name of the {@code ServerMetrics} component that counts it. */
  String metric() {
    return metric;
  }
}
