/**
 * Runnable examples: the programs of the seed article ("Python Socket Programming") written
 * against this library, started with {@code ./run NAME [options]}.
 *
 * <p>Code map:
 * <ul>
 *   <li>{@link dev.socketserver.examples.Main} lists the examples and dispatches on the first
 *       argument;</li>
 *   <li>one class per example: {@code Hello} (the seed's Listing 2), {@code Welcome} and
 *       {@code WelcomeClient} (server.py / client.py), {@code Echo} and {@code EchoClient} (the
 *       {@code ThreadingTCPServer} pair), {@code SocketBasics} (tables 2 and 3);</li>
 *   <li>two small helpers they share: {@code Options} parses {@code --name value} arguments and
 *       {@code Serving} runs a server until Ctrl-C or SIGTERM, then drains it.</li>
 * </ul>
 * Each server example has a static {@code server(Options, PrintStream)} method that builds the
 * server without serving it, so tests can start it in-process on port 0.
 */
@org.jspecify.annotations.NullMarked
module dev.socketserver.examples {
  requires dev.socketserver.tcp;
  requires dev.socketserver.udp;
  requires dev.socketserver.unix;
  // sun.misc.Signal: Ctrl-C and SIGTERM shut a server down and the process exits 0 (see Serving).
  requires jdk.unsupported;
  requires static org.jspecify;
}
