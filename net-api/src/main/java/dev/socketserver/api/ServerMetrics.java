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
 *     datagram over the server's maximum size)
 * @param rejected requests the connection filter refused; their handler never ran
 * @param bytesRead bytes received from clients
 * @param bytesWritten bytes sent to clients, replies included
 * @param replies datagrams a datagram server sent with {@link Datagram#reply}; always 0 for a
 *     stream server, whose replies are bytes on the connection ({@code bytesWritten})
 */
public record ServerMetrics(
    long accepted,
    long active,
    long completed,
    long failed,
    long rejected,
    long bytesRead,
    long bytesWritten,
    long replies) {}
