package dev.socketserver.api;

import java.io.IOException;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * The options every server builder has, whatever its transport: handler, concurrency and hooks.
 * Each transport's builder ({@code TcpServer.builder()}, ...) adds its own options (address,
 * socket options) and {@link #build()}s its server; transport authors implement this through
 * {@code dev.socketserver.spi.AbstractServerBuilder}.
 *
 * <p>Not thread-safe: configure a builder on one thread. A builder can build several servers;
 * each gets the settings as they were at {@code build()}.
 *
 * @param <R> the request type the handler serves
 * @param <B> the concrete builder type, returned by every setter
 */
public interface ServerBuilder<R, B extends ServerBuilder<R, B>> {

  /**
   * Sets the handler called for each request. Required. A handler reaches its server through
   * its request ({@link Connection#server()}, {@link Datagram#server()}).
   */
  B handler(RequestHandler<? super R> requestHandler);

  /** Sets the concurrency policy; the default is {@link Concurrency#virtualThreads()}. */
  B concurrency(Concurrency policy);

  /**
   * Sets the error handler, told of every request whose handler threw (Python's
   * {@code handle_error}). The default logs a WARN naming the client, with the stack trace.
   */
  B errorHandler(ErrorHandler<? super R> onError);

  /**
   * Sets the request filter (Python's {@code verify_request}). It runs on the request's own
   * thread, after the transport prepared the request (TLS handshake, PROXY protocol header) and
   * before the handler, so it sees the real client address and TLS identity; while it runs the
   * request counts toward the concurrency limit. A request it refuses (or that makes it throw)
   * is closed once, counted as rejected, and never reaches the handler. Each refusal is logged
   * at DEBUG ({@code "Rejected request from <client>: refused by the filter"}, logger
   * {@code dev.socketserver.Server}), a filter that throws at WARN with its stack trace; both at
   * most 10 lines per 10 s, then one line saying how many more there were.
   */
  B filter(Predicate<? super R> accept);

  /**
   * Sets the hook run when {@link Server#handleRequest(Duration)} sees no request in time
   * (Python's {@code handle_timeout}). It runs on the thread that called {@code handleRequest}.
   */
  B onTimeout(Runnable hook);

  /**
   * Sets an action the serving thread runs about every {@code interval} while it serves
   * (Python's {@code service_actions}). It runs between accepts, so with the sequential policy a
   * long request delays it; what it throws is logged.
   *
   * @throws IllegalArgumentException if {@code interval} is not positive
   */
  B serviceAction(Duration interval, Runnable action);

  /**
   * Sets how long {@link Server#close()} lets requests in flight finish before it force-closes
   * them; 30 seconds by default.
   *
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  B drainTimeout(Duration timeout);

  /**
   * Binds, listens and returns the server, ready to serve.
   *
   * @throws IOException if the socket cannot be set up (for example the address is in use); the
   *     message says which address and what to do. Nothing is left open.
   * @throws IllegalStateException if a required option (the handler, an address) is missing
   */
  Server build() throws IOException;
}
