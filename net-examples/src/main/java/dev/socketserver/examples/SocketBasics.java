package dev.socketserver.examples;

import dev.socketserver.api.Connection;
import dev.socketserver.tcp.TcpClient;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/**
 * The seed's tables 2 and 3, Python's {@code socket} module, done in Java and printed: name
 * lookups, a socket's life (socket, bind, listen, accept, connect, send, recv, close) in one tiny
 * exchange with itself, socket options, and {@code fromfd}. It uses loopback only.
 */
final class SocketBasics {
  static final Options.Spec OPTIONS =
      Options.usage("socket-basics [--host NAME] [--port N]  (NAME to look up; N to bind on 127.0.0.1, 0: any free)")
          .host("localhost")
          .describe("the name to look up")
          .port(0)
          .describe("the port to bind on 127.0.0.1; 0: any free one");

  private SocketBasics() {}

  static void main(String[] args) throws Exception {
    run(OPTIONS.parse(args), System.out);
  }

  /** Prints the whole tour on {@code out}. */
  static void run(Options options, PrintStream out) throws IOException {
    names(options.string("host"), out);
    socketLife(options.integer("port"), out);
    fromFd(out);
  }

  /** A lookup that may fail, for {@link #show}. */
  @FunctionalInterface
  private interface Lookup {
    Object get() throws IOException;
  }

  private static void show(PrintStream out, String python, String java, Lookup lookup) {
    Object result;
    try {
      result = lookup.get();
    } catch (IOException e) {
      result = e; // for example an UnknownHostException: shown, not fatal
    }
    step(out, python, java, result);
  }

  // gethostbyname gives one address, so getByName is its equivalent; getAllByName follows it.
  @SuppressWarnings("AddressSelection")
  private static void names(String host, PrintStream out) {
    out.println("== Table 2: class methods (names)");
    show(out, "socket.gethostname()", "InetAddress.getLocalHost().getHostName()",
        () -> InetAddress.getLocalHost().getHostName());
    show(out, "socket.getfqdn()", "InetAddress.getLocalHost().getCanonicalHostName()",
        () -> InetAddress.getLocalHost().getCanonicalHostName());
    show(out, "socket.gethostbyname('" + host + "')",
        "InetAddress.getByName(\"" + host + "\").getHostAddress()",
        () -> InetAddress.getByName(host).getHostAddress());
    show(out, "socket.getaddrinfo('" + host + "', None)",
        "InetAddress.getAllByName(\"" + host + "\")",
        () -> Arrays.toString(InetAddress.getAllByName(host)));
    show(out, "socket.getfqdn('127.0.0.1')",
        "InetAddress.getByName(\"127.0.0.1\").getCanonicalHostName()",
        () -> InetAddress.getByName("127.0.0.1").getCanonicalHostName());
    out.println();
  }

  private static void socketLife(int port, PrintStream out) throws IOException {
    out.println("== Table 3: instance methods (a socket's life, on loopback)");
    InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    // socket.socket(AF_INET, SOCK_STREAM), twice: the listening side and the client.
    try (ServerSocketChannel listener = ServerSocketChannel.open();
        SocketChannel client = SocketChannel.open()) {
      listener.bind(address, 5); // sock.bind((host, port)) and sock.listen(5) in one call
      step(out, "sock.bind(('127.0.0.1', " + port + ")); sock.listen(5)", "listener.bind(address, 5)",
          listener.getLocalAddress());
      // connect() returns once the kernel has queued the connection: nobody needs to accept yet,
      // so this whole exchange fits on one thread.
      client.connect(listener.getLocalAddress());
      step(out, "client.connect(addr)", "client.connect(address)", client.getLocalAddress() + " connected");
      try (SocketChannel accepted = listener.accept()) {
        step(out, "conn, addr = sock.accept()", "listener.accept()", "from " + accepted.getRemoteAddress());
        step(out, "client.send('ping')", "client.write(bytes)", client.write(ascii("ping")) + " bytes sent");
        step(out, "conn.recv(1024)", "accepted.read(ByteBuffer.allocate(1024))", receive(accepted));
        accepted.write(ascii("pong"));
        step(out, "conn.send('pong'); client.recv(1024)", "accepted.write(...); client.read(...)",
            receive(client));
        out.println("  (recvfrom/sendto are the datagram calls: DatagramChannel.receive/send)");
        out.println();
        out.println("== getsockopt / setsockopt on a raw channel");
        options(accepted, out);
        step(out, "sock.getsockopt(SOL_SOCKET, SO_REUSEADDR) on the listener", "listener.getOption(SO_REUSEADDR)",
            listener.getOption(StandardSocketOptions.SO_REUSEADDR));
      }
      out.println();
      out.println("== getsockopt / setsockopt on a Connection (TcpClient.connect)");
      try (Connection connection =
          TcpClient.connect((InetSocketAddress) listener.getLocalAddress(), Duration.ofSeconds(5))) {
        step(out, "sock.getsockopt(IPPROTO_TCP, TCP_NODELAY)", "connection.option(TCP_NODELAY)",
            connection.option(StandardSocketOptions.TCP_NODELAY) + " (this library's clients and servers turn Nagle off)");
        connection.option(StandardSocketOptions.SO_RCVBUF, 64 * 1024);
        step(out, "sock.setsockopt(SOL_SOCKET, SO_RCVBUF, 65536)", "connection.option(SO_RCVBUF, 65536); option(SO_RCVBUF)",
            connection.option(StandardSocketOptions.SO_RCVBUF));
        step(out, "sock.getsockopt(SOL_SOCKET, SO_REUSEADDR)", "connection.option(SO_REUSEADDR)",
            connection.option(StandardSocketOptions.SO_REUSEADDR));
      }
    } // sock.close(): try-with-resources closes both channels, and the accepted one above
    out.println("  sock.close() -> try-with-resources closed every channel");
    out.println();
  }

  private static void options(SocketChannel channel, PrintStream out) throws IOException {
    step(out, "sock.getsockopt(SOL_SOCKET, SO_RCVBUF)", "channel.getOption(SO_RCVBUF)",
        channel.getOption(StandardSocketOptions.SO_RCVBUF));
    channel.setOption(StandardSocketOptions.SO_RCVBUF, 64 * 1024);
    step(out, "sock.setsockopt(SOL_SOCKET, SO_RCVBUF, 65536)", "channel.setOption(SO_RCVBUF, 65536); getOption",
        channel.getOption(StandardSocketOptions.SO_RCVBUF) + " (as the kernel took it: Linux may double it)");
    step(out, "sock.getsockopt(IPPROTO_TCP, TCP_NODELAY)", "channel.getOption(TCP_NODELAY)",
        channel.getOption(StandardSocketOptions.TCP_NODELAY));
    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
    step(out, "sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)", "channel.setOption(TCP_NODELAY, true); getOption",
        channel.getOption(StandardSocketOptions.TCP_NODELAY));
    step(out, "sock.getsockopt(SOL_SOCKET, SO_REUSEADDR)", "channel.getOption(SO_REUSEADDR)",
        channel.getOption(StandardSocketOptions.SO_REUSEADDR));
  }

  private static void fromFd(PrintStream out) throws IOException {
    out.println("== socket.fromfd(fd, family, type)");
    Channel inherited = System.inheritedChannel();
    out.println("  System.inheritedChannel() -> " + inherited);
    out.println("  (null unless this process was started by inetd or a launcher with a socket as its");
    out.println("  standard input; TcpServer.builder().inheritedChannel()");
    out.println("  serves on that channel when it is a listening socket, or else on the socket systemd");
    out.println("  passes as descriptor 3 (LISTEN_FDS), instead of binding one)");
  }

  private static void step(PrintStream out, String python, String java, Object result) {
    out.printf("  %s%n      %s -> %s%n", python, java, result);
  }

  private static ByteBuffer ascii(String text) {
    return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
  }

  /** One read of up to 1024 bytes, like recv(1024); on loopback the 4 bytes arrive together. */
  private static String receive(SocketChannel channel) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(1024);
    int n = channel.read(buffer);
    return n < 0 ? "(closed)" : "'" + new String(buffer.array(), 0, n, StandardCharsets.US_ASCII) + "'";
  }
}
