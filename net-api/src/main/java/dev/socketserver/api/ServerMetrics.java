package dev.socketserver.api;

/**
 * A snapshot of a server's counters, taken by {@link Server#metrics()}.
 *
 * <p>Counters only grow, except {@code active}. Each counter is read atomically, but the
 * snapshot as a whole is not a single instant: under load two fields may be a request apart.
 * Immutable and thread-safe.
 *
 * @param accepted requests taken from the socket (connections accepted, datagrams received),
 *     rejected ones and over-long datagrams included
 * @param active requests whose handler is running or about to run
 * @param completed requests whose handler returned normally
 * @param failed requests whose handler threw, or that were invalid and never reached it (a
 *     datagram over the server's maximum size); counted once the failure has been reported (the
 *     error handler has returned, or the line is logged)
 * @param rejected requests refused before their handler ran: by the connection filter, for a
 *     missing, malformed or untrusted PROXY protocol header, or a failed TLS handshake
 * @param bytesRead bytes received from clients (on the wire: TLS records, PROXY headers)
 * @param bytesWritten bytes sent to clients, replies included (on the wire)
 * @param replies datagrams a datagram server sent with {@link Datagram#reply}; always 0 for a
 *     stream server, whose replies are bytes on the connection ({@code bytesWritten})
 * @param readTimeouts reads that gave up after the connection's read timeout
 * @param writeTimeouts writes that gave up after the connection's write timeout
 * @param idleTimeouts connections closed for moving no byte during the idle timeout
 * @param lifetimeExpirations connections closed for outliving the maximum connection lifetime
 * @param limitWaits times the serving thread waited for a free slot under the concurrency limit
 *     before accepting (the limit is the maximum of connections of a stream server)
 * @param cut requests stopped by {@link Server#shutdownNow()}, directly or when a drain deadline
 *     passed
 * @param inboundBudgetHits connections closed because the bytes they asked the server to hold
 *     (partial frames, unread input) would have taken the server-wide inbound memory budget past
 *     its limit ({@link StreamServerBuilder#inboundBudget})
 * @param renegotiationsRefused TLS renegotiations a client started and the server refused (with
 *     an alert, closing the connection)
 * @param probes connections the client closed or reset without sending a byte, a PROXY protocol
 *     header aside: a load balancer's TCP health check. Each is also counted as
 *     what it ended as (completed, failed or rejected), but logged at DEBUG only and never
 *     given to the error handler: it is not an error
 */
public record ServerMetrics(
    long accepted,
    long active,
    long completed,
    long failed,
    long rejected,
    long bytesRead,
    long bytesWritten,
    long replies,
    long readTimeouts,
    long writeTimeouts,
    long idleTimeouts,
    long lifetimeExpirations,
    long limitWaits,
    long cut,
    long inboundBudgetHits,
    long renegotiationsRefused,
    long probes) {}
