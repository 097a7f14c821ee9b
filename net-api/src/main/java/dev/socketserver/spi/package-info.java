/**
 * The transport SPI: what a transport implements so that the shared server core serves it. A
 * transport binds its endpoint, implements {@link dev.socketserver.spi.Acceptor} (next request,
 * how to finish or abort one, how to stop accepting) and hands it to the core. Datagram
 * transports extend {@link dev.socketserver.spi.ReceivedDatagram}; {@link
 * dev.socketserver.spi.SocketActivator} is the service that adopts systemd-activated sockets.
 */
package dev.socketserver.spi;
