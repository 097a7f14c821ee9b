package dev.socketserver.examples;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * Starts an example by name: {@code ./run NAME [options]} runs
 * {@code java -m dev.socketserver.examples/dev.socketserver.examples.Main NAME [options]}.
 * Without a name, or with {@code --help}, it lists the examples; an unknown name lists them and
 * exits 2, as does a wrong option. {@code ./run NAME --help} prints the example's usage line and
 * each of its options with its default.
 */
public final class Main {

  /** An example program: its {@code main}, given the arguments after its name. */
  @FunctionalInterface
  private interface Program {
    void main(String[] args) throws Exception;
  }

  private record Example(String name, String summary, Program program) {}

  private static final List<Example> EXAMPLES =
      List.of(
          new Example("hello", "TCP 2525: writes \"Hello world!\" and closes (the seed's Listing 2)", Hello::main),
          new Example("welcome", "TCP 8001: replies to \"1\" with a welcome, to anything else with a no; 5 s timeout", Welcome::main),
          new Example("welcome-client", "sends \"1\" to the welcome server after 2 s and prints the reply", WelcomeClient::main),
          new Example("echo", "TCP 3130: greets each client, then echoes every byte; concurrent", Echo::main),
          new Example("line-echo", "TCP 3131: echoes each line; a line over --max bytes gets an error and is cut off", LineEcho::main),
          new Example("length-echo", "TCP 3132: echoes 4-byte big-endian length-prefixed messages", LengthEcho::main),
          new Example("http-hello", "TCP 8080: HTTP/1.1 keep-alive server answering \"Hello, World!\" (the benchmark peer of http.server)", HttpHello::main),
          new Example("tls-echo", "TCP 3443: the echo server over TLS, self-signed certificate made on first start", TlsEcho::main),
          new Example("udp-echo", "UDP 3130: echoes each datagram to its sender", UdpEcho::main),
          new Example("udp-client", "sends each stdin line as a datagram, prints the reply or a timeout message", UdpClientExample::main),
          new Example("unix-echo", "Unix stream echo on --path (default: socketserver-echo.sock in the temp dir)", UnixEcho::main),
          new Example("unix-dgram-echo", "Unix datagram echo on --path (default: socketserver-dgram-echo.sock in the temp dir); FFM on libc", UnixDatagramEcho::main),
          new Example("echo-client", "interactive: sends each line typed to the echo server, prints the echo", EchoClient::main),
          new Example("socket-basics", "the socket module's tables in Java: names, a socket's life, options, fromfd", SocketBasics::main));

  private Main() {}

  /**
   * Runs the example named by {@code args[0]} with the remaining arguments, and exits with a
   * non-zero status if it fails: 2 for a wrong command line, 1 for an error.
   */
  public static void main(String[] args) {
    int status = run(args, System.out, System.err);
    if (status != 0) {
      System.exit(status);
    }
  }

  /** Runs as {@link #main} does and returns the exit status instead of exiting. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || List.of("--help", "-h", "help").contains(args[0])) {
      list(out);
      return 0;
    }
    Example example = EXAMPLES.stream().filter(e -> e.name().equals(args[0])).findFirst().orElse(null);
    if (example == null) {
      err.println("unknown example: " + args[0]);
      list(err);
      return 2;
    }
    try {
      example.program().main(Arrays.copyOfRange(args, 1, args.length));
      return 0;
    } catch (Options.UsageException e) {
      PrintStream to = e.status() == 0 ? out : err;
      if (e.status() != 0) {
        to.println(example.name() + ": " + e.getMessage());
      }
      to.println("usage: ./run " + e.usage());
      if (e.status() == 0) {
        e.options().forEach(to::println); // each option with its default
      }
      return e.status();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println(example.name() + ": interrupted");
      return 1;
    } catch (Exception e) {
      err.println(example.name() + ": " + e);
      return 1;
    }
  }

  /** Returns the names of the examples, in the order they are listed. */
  static List<String> names() {
    return EXAMPLES.stream().map(Example::name).toList();
  }

  private static void list(PrintStream out) {
    out.println("Examples (./run NAME [--host H] [--port N] ...; ./run NAME --help for its options):");
    for (Example e : EXAMPLES) {
      out.printf("  %-15s %s%n", e.name(), e.summary());
    }
  }
}
