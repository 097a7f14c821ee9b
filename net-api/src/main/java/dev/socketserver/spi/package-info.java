/**
 * The transport SPI: what a transport author reads to add a transport (a socket family, a
 * native library) whose servers behave as this library's own: same lifecycle, concurrency
 * policies, limits, drain and metrics. This repository's TCP, UDP and Unix-domain transports are
 * written against it.
 *
 * <p>A transport is three pieces:
 * <ol>
 *   <li>a builder: extend {@link dev.socketserver.spi.AbstractStreamServerBuilder} (requests are
 *       {@link dev.socketserver.api.Connection}s) or {@link
 *       dev.socketserver.spi.AbstractDatagramServerBuilder} (requests are {@link
 *       dev.socketserver.api.Datagram}s), or {@link dev.socketserver.spi.AbstractServerBuilder}
 *       for another request type; they hold every common option, so the transport adds only its
 *       endpoint's (address, socket options). Its {@code build()} reads {@code settings()}, binds
 *       its socket, and hands both to the factory;</li>
 *   <li>an {@link dev.socketserver.spi.Acceptor}: the next request from the bound socket, how to
 *       finish or abort one, how to stop accepting. Received datagrams may extend {@link
 *       dev.socketserver.spi.ReceivedDatagram}, which holds the payload, the sender and the
 *       server;</li>
 *   <li>{@link dev.socketserver.spi.factory.ServerFactory#create}, which makes the server from
 *       the two and gives the acceptor the {@link dev.socketserver.spi.Traffic} it counts bytes
 *       in. A server type with operations of its own (multicast, a typed address) extends {@link
 *       dev.socketserver.spi.ForwardingServer} around it.</li>
 * </ol>
 *
 * <p>A stream transport whose connections can wait for input with no thread implements {@link
 * dev.socketserver.spi.Resumable} on its requests: under virtual threads the core then serves a
 * {@link dev.socketserver.api.Handlers.Framed} handler in turns, so an idle connection holds no
 * thread.
 *
 * <p>Threads and ownership are documented on each type; in short: a builder is confined to one
 * thread; the acceptor owns the bound socket once opened (if {@code build()} fails before that,
 * the builder closes it), and the server core calls the acceptor's accept and close methods
 * from one thread at a time and closes every request exactly once.
 */
package dev.socketserver.spi;
