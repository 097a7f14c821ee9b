package dev.socketserver.api;

/**
 * Serves one request: a stream {@link Connection} or a datagram.
 *
 * <p>The server calls {@link #handle} once per request, on the thread its {@link Concurrency}
 * policy chose. The framework owns the request: it closes it after {@code handle} returns or
 * throws, so a handler never needs to close it (closing it early is harmless). Whatever
 * {@code handle} throws is passed to the server's error handler and the server keeps serving.
 *
 * <p>One handler instance serves every request of a server, possibly on many threads at once:
 * it must be thread-safe unless the policy is {@link Concurrency#sequential()}.
 *
 * {@snippet :
 * RequestHandler<Connection> echo = c -> c.input().transferTo(c.output());
 * }
 *
 * @param <R> the request type: {@link Connection} for stream servers
 */
@FunctionalInterface
public interface RequestHandler<R> {

  /**
   * Serves {@code request}; returns when the request is done.
   *
   * @throws Exception anything: it is reported to the error handler, the request is closed and
   *     the server carries on
   */
  void handle(R request) throws Exception;
}
