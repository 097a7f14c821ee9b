package consumer;

import dev.socketserver.api.Connection;
import dev.socketserver.api.Datagram;
import dev.socketserver.api.Handlers;
import dev.socketserver.tcp.TcpClient;
import dev.socketserver.tcp.TcpServer;
import dev.socketserver.udp.UdpClient;
import dev.socketserver.udp.UdpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Echoes one line over TCP and one datagram over UDP through a server on 127.0.0.1, port 0. */
public final class EchoOnce {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private EchoOnce() {}

  /** Returns the line a TCP line-echo server sent back for {@code line}. */
  public static String tcp(String line) throws IOException {
    try (TcpServer server = TcpServer.builder()
        .bind(new InetSocketAddress("127.0.0.1", 0))
        .handler(Handlers.lines(1024, received -> received))
        .build()) {
      server.start();
      try (Connection client = TcpClient.connect(server.localAddress(), TIMEOUT)) {
        client.output().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        client.output().flush();
        return client.readLine(1024);
      }
    }
  }

  /** Returns the payload a UDP echo server sent back for {@code text}. */
  public static String udp(String text) throws IOException {
    try (UdpServer server = UdpServer.builder()
        .bind(new InetSocketAddress("127.0.0.1", 0))
        .handler((Datagram d) -> d.reply(d.payload()))
        .build()) {
      server.start();
      try (UdpClient client = UdpClient.open()) {
        Datagram reply = client.request(
            server.localAddress(), text.getBytes(StandardCharsets.UTF_8), TIMEOUT);
        return new String(reply.bytes(), StandardCharsets.UTF_8);
      }
    }
  }

  /** Prints both echoes: {@code java -p ... -m consumer/consumer.EchoOnce}. */
  public static void main(String[] args) throws IOException {
    System.out.println(tcp("hello over tcp"));
    System.out.println(udp("hello over udp"));
  }
}
