package dev.socketserver.api;

import java.time.Duration;
import javax.net.ssl.SSLContext;

/**
 * The options of every stream server builder (TCP, Unix stream): {@link ServerBuilder}'s plus
 * the per-connection timeouts and buffer sizes of {@link ConnectionOptions}, and the limits of
 * a connection's life: idle timeout and maximum lifetime.
 *
 * <p>The maximum number of connections is the concurrency limit,
 * {@code concurrency(Concurrency.virtualThreads().limit(n))}: a stream server serves one request
 * per connection, so at {@code n} open connections it stops accepting and further clients wait
 * in the kernel's backlog (each wait is counted in {@link ServerMetrics#limitWaits()}).
 *
 * <p>Not thread-safe: configure a builder on one thread. Transport authors implement this
 * through {@code dev.socketserver.spi.AbstractStreamServerBuilder}.
 *
 * @param <B> the concrete builder type, returned by every setter
 */
public interface StreamServerBuilder<B extends StreamServerBuilder<B>>
    extends ServerBuilder<Connection, B> {

  /**
   * Sets the initial read timeout of every connection ({@link Duration#ZERO}, the default: none).
   * A handler can change it per connection.
   *
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  B readTimeout(Duration timeout);

  /**
   * Sets the initial write timeout of every connection ({@link Duration#ZERO}, the default:
   * none).
   *
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  B writeTimeout(Duration timeout);

  /**
   * Sets the read buffer size (Python's {@code rbufsize}); 8 KiB by default.
   *
   * @throws IllegalArgumentException if {@code size} is out of 1..16 MiB
   */
  B readBufferSize(int size);

  /**
   * Sets the write buffer size (Python's {@code wbufsize}); 8 KiB by default, 0 for unbuffered
   * output.
   *
   * @throws IllegalArgumentException if {@code size} is out of 0..16 MiB
   */
  B writeBufferSize(int size);

  /**
   * Closes a connection that moves no byte either way for {@code timeout} ({@link Duration#ZERO},
   * the default: never), whatever its handler is doing; the handler's next read or write fails.
   * Unlike the read timeout it needs no thread: the server's poller sweeps its connections, so a
   * connection is closed between {@code timeout} and an eighth of it (at most 1 s) later.
   *
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  B idleTimeout(Duration timeout);

  /**
   * Closes a connection once it has been open for {@code lifetime} ({@link Duration#ZERO}, the
   * default: never), busy or not; for example so that long-lived clients re-balance across a
   * fleet. Checked like {@link #idleTimeout(Duration)}.
   *
   * @throws IllegalArgumentException if {@code lifetime} is negative
   */
  B maxConnectionLifetime(Duration lifetime);

  /** Serves TLS with {@code context}'s keys and the defaults of {@link TlsOptions#of}. */
  B tls(SSLContext context);

  /**
   * Serves TLS as {@code options} say. The handshake runs on each connection's own thread
   * before the filter and the handler (so with {@link Concurrency#sequential()} it runs on the
   * serving thread, bounded by the handshake timeout); a connection whose handshake fails or
   * times out is closed and counted as rejected. Handlers see {@link Connection#tls()}.
   *
   * <p>A connection is handshaken once the concurrency limit admits it: under {@code limit(n)}
   * clients queued in the backlog wait for their handshake too, so their handshake deadline must
   * cover the wait. A peer that closes the socket without TLS close_notify ends the stream
   * normally (as most HTTP servers allow); a protocol that must detect truncation frames its
   * messages with lengths.
   *
   * <p>A client offering only TLS 1.0 or 1.1 (where the context enables 1.2 and 1.3, the JDK's
   * default) gets a {@code protocol_version} alert and is rejected. A client that starts a TLS 1.2
   * renegotiation is refused: close_notify, the connection's output closed, the handler's read
   * failing with an {@link javax.net.ssl.SSLException} "TLS renegotiation refused: ...", counted
   * in {@link ServerMetrics#renegotiationsRefused()} (see {@link TlsOptions}).
   */
  B tls(TlsOptions options);

  /**
   * Expects every connection to start with a PROXY protocol header (HAProxy's v1 or v2) from a
   * source {@code protocol} trusts, and serves it as the original client:
   * {@link Connection#remoteAddress()} is the client, {@link Connection#proxy()} holds the header
   * and the proxy's address. A connection from an untrusted source, or without a valid header,
   * is closed with a WARN log line and counted as rejected. The header is read on the
   * connection's own thread, before TLS and before the filter, which thus sees the client.
   */
  B proxyProtocol(ProxyProtocol protocol);

  /**
   * Sets the server-wide inbound memory budget: the most bytes all connections together may hold
   * in read buffers the handler has not consumed yet and in partial frames
   * ({@link Connection#readFrame}, {@link Connection#readLine}, {@link Handlers}) that are still
   * arriving. By default a quarter of the JVM's maximum heap.
   *
   * <p>Per-connection limits (the read buffer size, a framing's maximum) bound one connection;
   * this bounds their sum, which under many connections could exceed any heap. A connection
   * whose next read or partial frame would take the total past the budget is closed: its
   * handler's read fails with an {@link java.io.IOException} naming the budget, the hit is
   * counted in {@link ServerMetrics#inboundBudgetHits()}, and every other connection keeps
   * working. Memory is charged as bytes arrive, never as a header announces them, so a peer
   * that announces a large frame and sends little holds little. Partial frames may take three
   * quarters of the budget; the last quarter is kept for read buffers (and TLS's record
   * buffers), so that while peers fill the budget with partial frames, a request that arrives
   * whole is still read.
   *
   * @throws IllegalArgumentException if {@code bytes} is less than 64 KiB
   */
  B inboundBudget(long bytes);

  /**
   * Sets how many pollers read this server's connections. A poller is one thread with a selector
   * of its own and buffer pools of its own; it reads every connection given to it whenever data
   * arrives and wakes that connection's handler (or, for a {@link Handlers#nonBlocking} handler,
   * answers it itself). It is a virtual thread, so the handler threads it wakes start on its
   * carrier, or a platform thread when it answers the requests itself, so it waits for readiness
   * in the kernel rather than through the JDK's own poller. Each accepted connection is
   * given to the least loaded poller and stays on it for its life. One poller does the reading
   * for every round trip of its connections, so the number of pollers bounds how many cores a
   * busy server can use: set it to the cores this server should use.
   *
   * <p>By default one per processor available to the JVM ({@link Runtime#availableProcessors()},
   * which follows {@code taskset} and container CPU limits), divided among the workers of a
   * {@link Concurrency#processes(int)} server, at least one. The idle timeout, lifetime,
   * inbound budget, limits and metrics are the server's, whatever the number of pollers.
   *
   * @throws IllegalArgumentException if {@code n} is out of 1..1024
   */
  B pollers(int n);
}
