package dev.socketserver.engine.core;

import dev.socketserver.api.Datagram;
import dev.socketserver.api.ErrorHandler;
import dev.socketserver.api.FrameException;
import dev.socketserver.engine.telemetry.Events;
import dev.socketserver.engine.telemetry.Logs;
import dev.socketserver.engine.telemetry.RateLimitedLog;
import dev.socketserver.spi.Acceptor;
import dev.socketserver.spi.Rejection;
import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * What a {@link ServerCore} says about its requests: each kind of event a peer can cause is
 * logged at a bounded rate ({@link RateLimitedLog}) under the logger {@code
 * dev.socketserver.Server}, and a handler's failure goes to the error handler. Thread-safe.
 *
 * @param <R> the request type
 */
final class RequestLog<R> {
  static final Logger log = Logs.get("dev.socketserver.Server");

  private final Acceptor<R> acceptor;
  private final @Nullable ErrorHandler<? super R> errorHandler;
  private final RateLimitedLog acceptFailures = new RateLimitedLog(log, Level.WARN, "Accept failures");
  // One per kind of Rejection the transport names: a handful, created on the first of each.
  private final ConcurrentMap<String, RateLimitedLog> rejections = new ConcurrentHashMap<>();
  private final RateLimitedLog filtered =
      new RateLimitedLog(log, Level.DEBUG, "Requests refused by the filter");
  private final RateLimitedLog probes =
      new RateLimitedLog(log, Level.DEBUG, "Probes (connections that sent nothing)");
  private final RateLimitedLog badInput = new RateLimitedLog(log, Level.WARN, "Bad input");
  private final RateLimitedLog failedRequests = new RateLimitedLog(log, Level.WARN, "Failed requests");
  private final RateLimitedLog handlerFailures =
      new RateLimitedLog(log, Level.WARN, "Handler failures");
  private final RateLimitedLog threadFailures =
      new RateLimitedLog(log, Level.ERROR, "Requests failed for want of a thread");

  RequestLog(Acceptor<R> acceptor, @Nullable ErrorHandler<? super R> errorHandler) {
    this.acceptor = acceptor;
    this.errorHandler = errorHandler;
  }

  void acceptFailed(String server, IOException e, long pauseNanos) {
    acceptFailures.log("Accept failed on {}: {}; retrying in {} ms",
        server, e.toString(), TimeUnit.NANOSECONDS.toMillis(pauseNanos));
  }

  /** {@code request} could not be prepared: logged as its transport says ({@link Acceptor#rejection}). */
  void rejected(R request, Exception failure) {
    Rejection r = acceptor.rejection(failure);
    rejections
        .computeIfAbsent(r.kind(), kind -> new RateLimitedLog(log, r.level(), kind))
        .log("Rejected connection from {}: {}", acceptor.describe(request), r.reason());
  }

  /**
   * {@code request} ended with {@code how} and its client sent nothing: a balancer's health check,
   * not an error (counted in {@code probes}; DEBUG only, never the error handler).
   */
  void probe(R request, Throwable how) {
    probes.log("Probe from {} (connected, sent nothing, left): {}", acceptor.describe(request), how.toString());
  }

  void filtered(R request) {
    filtered.log("Rejected request from {}: refused by the filter", acceptor.describe(request));
  }

  void filterFailed(R request, RuntimeException e) {
    handlerFailures.log("Filter failed for {}; rejecting it", acceptor.describe(request), e);
  }

  void noThread(R request, Throwable e) {
    threadFailures.log("Could not start a thread for the request from {}: {}", acceptor.describe(request), e.toString());
  }

  /**
   * Tells the error handler; the default logs a WARN, or a DEBUG when the server itself stopped
   * the request ({@code stopped}: shutdownNow or the drain deadline, already logged once).
   */
  void failed(R request, Throwable error, boolean stopped) {
    Events.handlerFailed(acceptor.describe(request), error);
    ErrorHandler<? super R> custom = errorHandler;
    if (custom != null) {
      try {
        custom.handleError(request, error);
      } catch (RuntimeException e) {
        log.warn("Error handler failed for {}", acceptor.describe(request), e);
      }
    } else if (stopped) {
      log.debug("Request from {} stopped by shutdown: {}", acceptor.describe(request), error.toString());
    } else if (error instanceof FrameException) {
      badInput.log("Bad input from {}: {}; {}", acceptor.describe(request), error.getMessage(),
          request instanceof Datagram ? "the datagram was dropped" : "closing the connection");
    } else if (error instanceof IOException) {
      failedRequests.log("Request from {} failed: {}", acceptor.describe(request), error.toString());
    } else {
      handlerFailures.log("Handler failed for request from {}", acceptor.describe(request), error);
    }
  }
}
