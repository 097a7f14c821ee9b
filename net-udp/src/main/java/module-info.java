/**
 * The UDP transport: {@link dev.socketserver.udp.UdpServer} (Python's {@code UDPServer} and
 * {@code ThreadingUDPServer}, with every concurrency policy, an explicit maximum datagram size
 * and multicast groups) and {@link dev.socketserver.udp.UdpClient}, both speaking the
 * {@link dev.socketserver.api.Datagram} API of {@code dev.socketserver.api}.
 *
 * <p>Inside, a package-private acceptor receives on a non-blocking {@code DatagramChannel}
 * (the serving thread waits on a selector of its own, so {@code shutdown()} wakes it at once)
 * and hands each datagram, copied out of one reused buffer, to the server core, which it gets
 * through the public transport SPI ({@code ServerFactory}); replies go out on the same channel.
 * {@code UdpServer} is a {@code ForwardingServer} that adds multicast and the kernel's drop
 * count; its builder keeps the address and reuse options in the engine's {@code IpEndpoint}
 * (shared with TCP).
 */
@org.jspecify.annotations.NullMarked
module dev.socketserver.udp {
  requires transitive dev.socketserver.api;
  requires static org.jspecify;

  exports dev.socketserver.udp;
}
