package dev.socketserver.api;

/**
 * Told about every failure of a request: what its handler threw, or what went wrong around it.
 *
 * <p>Python's {@code handle_error}. The default logs a WARN through SLF4J naming the client.
 * It runs on the request's thread, before the request is closed; what it throws is logged and
 * otherwise ignored. Must be thread-safe unless the policy is {@link Concurrency#sequential()}.
 *
 * @param <R> the request type
 */
@FunctionalInterface
public interface ErrorHandler<R> {

  /** Handles {@code error}, which ended the handling of {@code request}. */
  void handleError(R request, Throwable error);
}
