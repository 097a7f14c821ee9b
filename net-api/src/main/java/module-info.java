/**
 * The socketserver API: what every transport builds on.
 *
 * <p>A server is built by a transport's builder (for example {@code TcpServer.builder()} in
 * {@code dev.socketserver.tcp}) from three parts this module defines:
 * <ul>
 *   <li>a {@link dev.socketserver.api.RequestHandler} called once per request: a stream
 *       {@link dev.socketserver.api.Connection} or a datagram;</li>
 *   <li>a {@link dev.socketserver.api.Concurrency} policy that decides where each request runs
 *       (sequentially, on platform or virtual threads, on a pool or the caller's executor, in
 *       worker processes) and how many may be in flight;</li>
 *   <li>the common hooks of {@link dev.socketserver.api.ServerBuilder}: connection filter, error
 *       handler, timeout hook, periodic service action, drain deadline.</li>
 * </ul>
 * The result is a {@link dev.socketserver.api.Server}: {@code serveForever()}, {@code start()},
 * {@code handleRequest(Duration)}, {@code shutdown()}, {@code close()}, metrics. A {@link
 * dev.socketserver.api.ServerListener} added with {@code Server.addListener} is told of each
 * connection's duration (what the optional {@code dev.socketserver.micrometer} module builds its
 * histogram from). A handler reaches its server through its request ({@code Connection.server()},
 * {@code Datagram.server()}: Python's {@code self.server}), for example to shut it down.
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
 * <p>Code map of this module (what a reader opens first is at the top):
 * <ul>
 *   <li>{@code dev.socketserver.api} (exported): what users read: servers, handlers, connections,
 *       concurrency, framing, options, metrics.</li>
 *   <li>{@code dev.socketserver.spi} (exported): what a transport author reads and implements:
 *       the abstract builders holding every common option, the {@link
 *       dev.socketserver.spi.Acceptor} a server core serves, the settings a builder collected, the
 *       base of received datagrams and of a transport's own server type, and the {@link
 *       dev.socketserver.spi.Resumable} capability by which a request is served in turns.</li>
 *   <li>{@code dev.socketserver.spi.factory} (exported): {@link
 *       dev.socketserver.spi.factory.ServerFactory}, where a transport turns its acceptor and
 *       settings into a {@code Server}; apart from {@code spi} because it calls the engine, which
 *       builds on {@code spi}.</li>
 *   <li>{@code dev.socketserver.engine.core}: the server core {@code ServerFactory} builds for
 *       every transport: lifecycle, serving loop, dispatch to the concurrency policy, drain.</li>
 *   <li>{@code dev.socketserver.engine.stream}: stream connections: the readiness poller, pooled
 *       buffers, the blocking-style connection in layers (its inbound side, fed by the poller;
 *       its outbound side; where its reader and writer wait), the one input and output stream
 *       implementation every layer reads and writes through, serving in turns, the acceptor of
 *       any listening stream channel, idle and lifetime deadlines.</li>
 *   <li>{@code dev.socketserver.engine.tls}, {@code dev.socketserver.engine.proxy}: the layers a
 *       stream connection may get before its handler runs (TLS, with pooled record buffers;
 *       PROXY protocol v1/v2).</li>
 *   <li>{@code dev.socketserver.engine.prefork}: {@code Concurrency.processes(n)}: the supervisor of
 *       worker processes and each worker's link to it.</li>
 *   <li>{@code dev.socketserver.engine.endpoint}: the IP endpoint of the TCP and UDP builders
 *       (address, reuse options, binding), inherited and socket-activated listeners and the
 *       service net-unix provides to adopt the latter.</li>
 *   <li>{@code dev.socketserver.engine.telemetry}: counters behind {@code ServerMetrics}, named
 *       limits, Flight Recorder events, rate-limited logging and the SLF4J fallback.</li>
 * </ul>
 * The engine packages are exported only to the transport modules of this repository, and only
 * those a transport outside it would bring itself (the stream engine, TLS, prefork, endpoints,
 * telemetry); they are not API. The server core is reached through {@code ServerFactory} alone.
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
  exports dev.socketserver.spi;
  exports dev.socketserver.spi.factory;
  // The engine is shared by this repository's transports only; users never see it.
  exports dev.socketserver.engine.stream to
      dev.socketserver.tcp,
      dev.socketserver.unix;
  exports dev.socketserver.engine.tls to
      dev.socketserver.tcp,
      dev.socketserver.unix;
  exports dev.socketserver.engine.prefork to
      dev.socketserver.tcp,
      dev.socketserver.udp;
  exports dev.socketserver.engine.endpoint to
      dev.socketserver.tcp,
      dev.socketserver.udp,
      dev.socketserver.unix;
  exports dev.socketserver.engine.telemetry to
      dev.socketserver.tcp,
      dev.socketserver.udp,
      dev.socketserver.unix;
  // systemd socket activation: adopting descriptor 3 needs native code, which net-unix provides.
  uses dev.socketserver.engine.endpoint.SocketActivator;
}
