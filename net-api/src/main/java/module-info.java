/**
 * The socketserver API: what every transport builds on.
 *
 * <p>A server is built by a transport's builder (for example {@code TcpServer.builder()} in
 * {@code dev.socketserver.tcp}) from three parts this module defines:
 * <ul>
 *   <li>a {@link dev.socketserver.api.RequestHandler} called once per request: a stream
 *       {@link dev.socketserver.api.Connection} or a datagram;</li>
 *   <li>a {@link dev.socketserver.api.Concurrency} policy that decides where each request runs
 *       (sequentially, on platform or virtual threads, on a pool) and how many may be in flight;</li>
 *   <li>the common hooks of {@link dev.socketserver.api.ServerBuilder}: connection filter, error
 *       handler, timeout hook, periodic service action, drain deadline.</li>
 * </ul>
 * The result is a {@link dev.socketserver.api.Server}: {@code serveForever()}, {@code start()},
 * {@code handleRequest(Duration)}, {@code shutdown()}, {@code close()}, metrics. A {@link
 * dev.socketserver.api.ServerListener} added with {@code Server.addListener} is told of each
 * connection's duration (what the optional {@code dev.socketserver.micrometer} module builds its
 * histogram from).
 *
 * <p>Message protocols: a {@link dev.socketserver.api.Framing} (lines, delimiters, length fields,
 * fixed length) decodes a stream into frames, incrementally ({@link
 * dev.socketserver.api.FrameDecoder}) or blocking ({@code Connection.readFrame}); {@link
 * dev.socketserver.api.Handlers} turns a frame-to-reply function into a handler. Bad input is a
 * {@link dev.socketserver.api.FrameException}.
 *
 * <p>Logging goes through SLF4J, under {@code dev.socketserver.*} logger names. With no SLF4J
 * provider present, the library's loggers write to the JDK's {@link java.lang.System.Logger}
 * instead (stderr by default, INFO and up), so no warning or error, such as a handler's failure,
 * is silent; only {@code slf4j-nop} discards them.
 *
 * <p>The package {@code dev.socketserver.api.internal} holds the shared server core (lifecycle,
 * accept loop, the readiness poller behind every stream {@code Connection}); it is exported only
 * to the transport modules and is not API.
 */
// "module": the qualified export names transports that are compiled after this module.
@SuppressWarnings("module")
@org.jspecify.annotations.NullMarked
module dev.socketserver.api {
  requires transitive org.slf4j;
  requires static org.jspecify;
  // Flight Recorder events (the JDK's own module, not a third-party dependency).
  requires jdk.jfr;

  exports dev.socketserver.api;
  // The server core is shared by the transports only; users never see it.
  exports dev.socketserver.api.internal to
      dev.socketserver.tcp,
      dev.socketserver.udp,
      dev.socketserver.unix;
  // systemd socket activation: adopting descriptor 3 needs native code, which net-unix provides.
  uses dev.socketserver.api.internal.SocketActivator;
}
