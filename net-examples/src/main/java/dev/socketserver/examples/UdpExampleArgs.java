package dev.socketserver.examples;

import java.net.InetSocketAddress;

/** The command line of the UDP examples: {@code [--host H] [--port N]}. */
final class UdpExampleArgs {
  static final String DEFAULT_HOST = "localhost";
  static final int DEFAULT_PORT = 3130;

  private UdpExampleArgs() {}

  /**
   * Returns the address the arguments name, by default localhost:3130.
   *
   * @throws IllegalArgumentException if an argument is unknown or a value is missing or invalid;
   *     the message shows the usage of {@code example}
   */
  static InetSocketAddress address(String[] args, String example) {
    String host = DEFAULT_HOST;
    int port = DEFAULT_PORT;
    for (int i = 0; i < args.length; i += 2) {
      if (i + 1 >= args.length) {
        throw usage(example, "missing value after " + args[i]);
      }
      switch (args[i]) {
        case "--host" -> host = args[i + 1];
        case "--port" -> {
          try {
            port = Integer.parseInt(args[i + 1]);
          } catch (NumberFormatException e) {
            throw usage(example, "--port wants a number: " + args[i + 1]);
          }
        }
        default -> throw usage(example, "unknown option: " + args[i]);
      }
    }
    if (port < 0 || port > 0xFFFF) {
      throw usage(example, "--port out of range 0..65535: " + port);
    }
    return new InetSocketAddress(host, port);
  }

  private static IllegalArgumentException usage(String example, String problem) {
    return new IllegalArgumentException(problem + "; usage: ./run " + example + " [--host H] [--port N]");
  }
}
