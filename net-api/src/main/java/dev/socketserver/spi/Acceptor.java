package dev.socketserver.spi;

import dev.socketserver.api.Server;
import java.io.IOException;
import java.net.SocketAddress;
import org.jspecify.annotations.Nullable;

/**
 * What a transport gives the server core ({@link dev.socketserver.spi.factory.ServerFactory}): a
 * source of requests on a bound socket, and how to close them.
 *
 * <p>Threads: {@link #accept}, {@link #closeListener()} and {@link #terminated()} are called by
 * one thread at a time (the core serialises them), except that an acceptor with several
 * {@linkplain #lanes() lanes} has {@link #accept(int, long)} called for each lane on a thread of
 * its own, concurrently (never {@code closeListener} meanwhile); {@link #prepare}, {@link #verify} and
 * {@link #finish} run on the request's own thread; {@link #wakeup()}, {@link #abort} and
 * {@link #describe} may be called from any thread, concurrently with the rest.
 *
 * <p>Who closes what: the acceptor owns the bound socket from the moment it is opened; the core
 * calls {@link #closeListener()} once when the server stops accepting (after which
 * {@link #accept} is not called again) and {@link #terminated()} once when every request is done,
 * where the acceptor releases what is left. Each accepted request is closed exactly once by the
 * core, with {@link #finish} after its handler or {@link #abort} when the server stops it; the
 * handler never closes it.
 *
 * @param <R> the request type
 */
public interface Acceptor<R> {

  /**
   * Returns the next request, or null if none came within {@code timeoutNanos} (negative: wait
   * for ever; zero: do not wait) or {@link #wakeup()} was called.
   */
  @Nullable R accept(long timeoutNanos) throws IOException;

  /**
   * Tells the acceptor the server it feeds, once, before the first {@link #accept}: a transport
   * whose requests offer {@code server()} ({@link dev.socketserver.api.Connection#server()},
   * {@link dev.socketserver.api.Datagram#server()}) hands it to each request. By default
   * nothing.
   */
  default void attach(Server server) {}

  /** Makes a blocked or the next {@link #accept} return promptly, on every lane. */
  void wakeup();

  /**
   * Returns how many lanes this acceptor receives on: independent sockets (SO_REUSEPORT) that
   * the core serves each on a thread of its own, so that receiving scales over cores. One by
   * default, and then the core calls only {@link #accept(long)}.
   */
  default int lanes() {
    return 1;
  }

  /**
   * Returns the next request of {@code lane} (0 to {@link #lanes()} - 1) only, as
   * {@link #accept(long)} does for all lanes together (which {@code handleRequest} uses). Called
   * by one thread per lane. By default {@link #accept(long)}.
   */
  default @Nullable R accept(int lane, long timeoutNanos) throws IOException {
    return accept(timeoutNanos);
  }

  /** Returns the bound address, port 0 resolved. */
  SocketAddress localAddress();

  /**
   * Makes an accepted request ready for its handler, on the request's own thread before the
   * filter: a TLS handshake, a PROXY protocol header. Returns the request the filter, handler and
   * {@link #finish} then get (the same one by default). On failure the core closes the request
   * with {@link #finish} on the request as accepted, and counts it as rejected.
   *
   * @throws IOException if the request cannot be served (handshake failed, bad header)
   */
  default R prepare(R request) throws IOException {
    return request;
  }

  /**
   * Throws if {@code request} must not reach the handler, for example a datagram larger than the
   * server's maximum. Called on the request's thread just before the handler; what it throws is
   * counted as a failure and passed to the error handler like a handler's own exception. By
   * default every request passes.
   */
  default void verify(R request) throws IOException {}

  /**
   * Says how the core logs {@code failure}, which {@link #prepare} threw: a transport names the
   * failures its own layers cause (a failed TLS handshake, an untrusted proxy), so the core never
   * tests exception classes. By default {@link Rejection#of}.
   */
  default Rejection rejection(Exception failure) {
    return Rejection.of(failure);
  }

  /**
   * The server began to drain, with {@code request} in flight: the transport may make it end at
   * its next message boundary (a stream connection ends its reads there as at end of stream, see
   * {@code Connection.draining()}). Called once per request, from the thread shutting the server
   * down; must not block. Nothing by default.
   */
  default void draining(R request) {}

  /** Describes a request's client for log lines, for example its address. */
  String describe(R request);

  /**
   * Returns whether the peer sent nothing on {@code request} (a PROXY protocol header aside) and
   * ended it itself (closed or reset it; not a timeout of this side), asked when the request has
   * ended: a load balancer's TCP health check, which opens and closes (or resets) a connection. The core counts such a request in {@code ServerMetrics.probes} and logs
   * it at DEBUG only, whatever ended it. False by default.
   */
  default boolean silent(R request) {
    return false;
  }

  /** Closes a request normally, after its handler: flushes, then closes. */
  void finish(R request) throws IOException;

  /** Closes a request at once, from any thread, waking its handler if it is blocked. */
  void abort(R request);

  /** Stops accepting for good: closes the listening socket (and removes a socket file). */
  void closeListener();

  /** Releases what is left once every request is done (for example the poller). */
  void terminated();
}
