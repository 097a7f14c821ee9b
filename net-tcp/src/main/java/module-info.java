/**
 * The TCP transport: {@link dev.socketserver.tcp.TcpServer} (Python's {@code TCPServer} with
 * every concurrency policy) and {@link dev.socketserver.tcp.TcpClient}, both speaking the
 * {@link dev.socketserver.api.Connection} API of {@code dev.socketserver.api}.
 */
@org.jspecify.annotations.NullMarked
module dev.socketserver.tcp {
  requires transitive dev.socketserver.api;
  requires static org.jspecify;

  exports dev.socketserver.tcp;
}
