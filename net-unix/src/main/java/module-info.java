/**
 * The Unix-domain transports: Python's {@code UnixStreamServer} and {@code UnixDatagramServer}
 * with every concurrency policy, and their clients.
 *
 * <p>Code map:
 * <ul>
 *   <li>{@link dev.socketserver.unix.UnixStreamServer}: stream servers on the JDK's
 *       {@code UnixDomainSocketAddress} channels, speaking the same
 *       {@link dev.socketserver.api.Connection} API as TCP; socket file permissions, stale files
 *       replaced on bind and removed on close ({@code SocketFile}); connection filters on the
 *       peer's credentials ({@link dev.socketserver.unix.PeerCredentials}).</li>
 *   <li>Both servers are built through the transport SPI of {@code dev.socketserver.spi} (an
 *       abstract builder, an acceptor, {@code ServerFactory}) and are {@code ForwardingServer}s
 *       whose {@code path()} is their socket file; what the two builders share about the address
 *       (a path, a {@code UnixDomainSocketAddress}, an abstract name for datagrams, the file's
 *       permissions) is the package-private {@code UnixEndpoint}.</li>
 *   <li>{@link dev.socketserver.unix.UnixDatagramServer}: datagram servers over the Foreign
 *       Function and Memory API on libc, since the JDK has no AF_UNIX datagram sockets. All native
 *       code is in package-private classes: {@code Libc} (the downcalls, errno turned into
 *       {@code IOException}s), {@code NativeDatagramSocket} (one socket: bind, receive, send,
 *       wait) and {@code SocketActivation} (below).</li>
 *   <li>systemd socket activation for every stream transport ({@code SocketActivation}): the
 *       {@code inheritedChannel()} of {@code TcpServer} and {@code UnixStreamServer} serves the
 *       listening socket systemd passes as descriptor 3, which the JDK cannot adopt alone; this
 *       module provides it as a service to net-api, so net-tcp needs no dependency on it.</li>
 *   <li>{@link dev.socketserver.unix.UnixClient}: stream connections and
 *       {@link dev.socketserver.unix.UnixDatagramClient}s.</li>
 * </ul>
 *
 * <p>Native access: the datagram classes and socket activation call libc, which the JDK allows
 * only to modules granted native access. Start {@code java} with
 * {@code --enable-native-access=dev.socketserver.unix} (on the class path: {@code ALL-UNNAMED});
 * without it the JDK prints a warning, or, with
 * {@code --illegal-native-access=deny}, they fail with an {@code IOException} that says so. The
 * stream server and client need no native access, except to adopt systemd's socket.
 */
@org.jspecify.annotations.NullMarked
module dev.socketserver.unix {
  requires transitive dev.socketserver.api;
  // jdk.net.ExtendedSocketOptions.SO_PEERCRED: the peer's user and group on stream connections.
  requires jdk.net;
  requires static org.jspecify;

  exports dev.socketserver.unix;

  // systemd socket activation for every stream transport's inheritedChannel() (SocketActivation):
  // descriptor 3 is adopted with libc, which only this module may call.
  provides dev.socketserver.engine.endpoint.SocketActivator with
      dev.socketserver.unix.SocketActivation.Provider;
}
