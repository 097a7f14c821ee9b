/**
 * Micrometer meters for a socketserver {@link dev.socketserver.api.Server}, named after
 * OpenTelemetry's semantic conventions for connection-oriented servers (those of Kestrel, the one
 * such server they define) as far as they go: {@link
 * dev.socketserver.micrometer.SocketServerMetrics} is the one type, a Micrometer {@code
 * MeterBinder} per server.
 *
 * {@snippet :
 * Server server = TcpServer.builder().bind(address).handler(handler).build();
 * SocketServerMetrics.of(server, Tags.of("server", "echo")).bindTo(registry);
 * }
 *
 * <p>The meters, each tagged {@code network.transport} ({@code tcp}, {@code udp}, {@code unix}),
 * {@code network.type} ({@code ipv4}, {@code ipv6}; not for {@code unix}), {@code server.address}
 * and {@code server.port} (not for {@code unix}) from the server's bound address, plus the
 * caller's tags:
 * <table class="striped">
 *   <caption>Meters and their OpenTelemetry counterparts</caption>
 *   <thead><tr><th>Micrometer name</th><th>Type</th><th>Own tags</th><th>From</th>
 *     <th>OpenTelemetry counterpart</th></tr></thead>
 *   <tbody>
 *   <tr><td>{@code socketserver.active_connections}</td><td>gauge</td><td></td>
 *     <td>{@code active}</td><td>{@code kestrel.active_connections} (UpDownCounter)</td></tr>
 *   <tr><td>{@code socketserver.connection.duration}</td><td>timer (histogram, seconds)</td>
 *     <td></td><td>{@link dev.socketserver.api.ServerListener}</td>
 *     <td>{@code kestrel.connection.duration} (Histogram, s), same bucket bounds</td></tr>
 *   <tr><td>{@code socketserver.accepted_connections}</td><td>function counter</td><td></td>
 *     <td>{@code accepted}</td><td>none</td></tr>
 *   <tr><td>{@code socketserver.rejected_connections}</td><td>function counter</td><td></td>
 *     <td>{@code rejected}</td><td>{@code kestrel.rejected_connections} (Counter)</td></tr>
 *   <tr><td>{@code socketserver.requests}</td><td>function counter</td>
 *     <td>{@code outcome}: {@code completed}, {@code failed}</td>
 *     <td>{@code completed}, {@code failed}</td><td>none</td></tr>
 *   <tr><td>{@code socketserver.cut_requests}</td><td>function counter</td><td></td>
 *     <td>{@code cut}</td><td>none</td></tr>
 *   <tr><td>{@code socketserver.probes}</td><td>function counter</td><td></td>
 *     <td>{@code probes}</td><td>none</td></tr>
 *   <tr><td>{@code socketserver.io}</td><td>function counter (bytes)</td>
 *     <td>{@code network.io.direction}: {@code receive}, {@code transmit}</td>
 *     <td>{@code bytesRead}, {@code bytesWritten}</td>
 *     <td>{@code network.io} attribute and unit ({@code system.network.io})</td></tr>
 *   <tr><td>{@code socketserver.replies}</td><td>function counter</td><td></td>
 *     <td>{@code replies}</td><td>none</td></tr>
 *   <tr><td>{@code socketserver.limit.hits}</td><td>function counter</td>
 *     <td>{@code limit}: {@code read-timeout}, {@code write-timeout}, {@code idle-timeout},
 *     {@code max-lifetime}, {@code concurrency-limit}, {@code inbound-budget},
 *     {@code tls-renegotiation}</td>
 *     <td>{@code readTimeouts}, {@code writeTimeouts}, {@code idleTimeouts},
 *     {@code lifetimeExpirations}, {@code limitWaits}, {@code inboundBudgetHits},
 *     {@code renegotiationsRefused}</td><td>none</td></tr>
 *   </tbody>
 * </table>
 * Every component of {@link dev.socketserver.api.ServerMetrics} is exported. OpenTelemetry's
 * {@code kestrel.queued_connections} and {@code kestrel.active_tls_handshakes} have no
 * counterpart: the server keeps no such gauges. The {@code limit} values are the keys of the
 * server's {@code "Limit reached: <key>"} log lines.
 */
@org.jspecify.annotations.NullMarked
module dev.socketserver.micrometer {
  requires transitive dev.socketserver.api;
  requires transitive micrometer.core;
  requires static org.jspecify;

  exports dev.socketserver.micrometer;
}
