/**
 * The TCP transport: {@link dev.socketserver.tcp.TcpServer} (Python's {@code TCPServer} with
 * every concurrency policy) and {@link dev.socketserver.tcp.TcpClient}, both speaking the
 * {@link dev.socketserver.api.Connection} API of {@code dev.socketserver.api}; a server's
 * {@code localAddress()} is the {@code InetSocketAddress} the client connects to.
 *
 * <p>Inside, the builder extends the SPI's {@code AbstractStreamServerBuilder}, keeps its
 * address and reuse options in the engine's {@code IpEndpoint} (shared with UDP), and hands the
 * listening channel to the engine's stream acceptor through {@code ServerFactory}; with
 * {@code processes(n)}, to the prefork supervisor.
 */
@org.jspecify.annotations.NullMarked
module dev.socketserver.tcp {
  requires transitive dev.socketserver.api;
  requires static org.jspecify;

  exports dev.socketserver.tcp;
}
