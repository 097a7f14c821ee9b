package dev.socketserver.api;

import java.time.Duration;

/**
 * Told of the events {@link ServerMetrics} only counts: today, how long each stream connection
 * stayed open. Registered with {@link Server#addListener}; what a metrics library (the
 * {@code dev.socketserver.micrometer} module) builds its connection-duration histogram from.
 *
 * <p>Callbacks run on the thread that closed the connection (the handler's thread, or the
 * poller's for a connection closed by a timeout): they must be quick and must not block. An
 * exception a callback throws is logged at a bounded rate and otherwise ignored: the connection
 * closes all the same. Implementations must be thread-safe: connections close concurrently.
 *
 * @apiNote A server with no listener pays nothing for this interface but one null check per
 *     connection closed. Datagram servers have no connections and never call it.
 */
@FunctionalInterface
public interface ServerListener {

  /**
   * Called once for each stream connection this server closed, whatever closed it (the handler
   * returning or throwing, a timeout, a limit, {@link Server#shutdownNow()}), with the time from
   * accepting it to closing it. A connection the connection filter rejected counts too.
   */
  void connectionClosed(Duration duration);
}
