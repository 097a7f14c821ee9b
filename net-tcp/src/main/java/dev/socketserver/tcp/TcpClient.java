package dev.socketserver.tcp;

import dev.socketserver.api.Connection;
import dev.socketserver.api.ConnectionOptions;
import dev.socketserver.api.TlsOptions;
import dev.socketserver.engine.stream.BufferPools;
import dev.socketserver.engine.stream.ChannelConnection;
import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.engine.stream.Poller;
import dev.socketserver.engine.tls.TlsConnection;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;

/**
 * Connects to TCP servers: the client side of the seed's steps ({@code socket.connect}, then
 * send and receive), returning the same {@link Connection} a server's handler gets.
 *
 * {@snippet :
 * try (Connection c = TcpClient.connect("localhost", 3130, Duration.ofSeconds(5))) {
 *     c.output().write("hello\r\n".getBytes(StandardCharsets.UTF_8));
 *     String reply = c.readLine(8192);
 * }
 * }
 *
 * <p>Stateless and thread-safe. The caller owns and closes each connection it returns.
 * Connections have TCP_NODELAY on and the {@link ConnectionOptions} given (defaults otherwise).
 */
public final class TcpClient {
  private TcpClient() {}

  /**
   * Connects to {@code host}:{@code port}, waiting at most {@code timeout} ({@link Duration#ZERO}:
   * the OS's own limit).
   *
   * @throws UnknownHostException if {@code host} does not resolve
   * @throws ConnectException if the server refuses; the message names the address
   * @throws SocketTimeoutException if the connection is not made in time
   */
  public static Connection connect(String host, int port, Duration timeout) throws IOException {
    return connect(new InetSocketAddress(host, port), timeout, ConnectionOptions.defaults());
  }

  /** Connects to {@code address}, waiting at most {@code timeout}; as {@link #connect(String, int, Duration)}. */
  public static Connection connect(InetSocketAddress address, Duration timeout) throws IOException {
    return connect(address, timeout, ConnectionOptions.defaults());
  }

  /**
   * Connects to {@code address}, waiting at most {@code timeout}, with {@code options}' timeouts
   * and buffer sizes; as {@link #connect(String, int, Duration)}.
   */
  public static Connection connect(
      InetSocketAddress address, Duration timeout, ConnectionOptions options) throws IOException {
    return open(address, timeout, options);
  }

  /**
   * Connects to {@code address} and completes a TLS handshake within {@code tls}' handshake
   * timeout, checking the server's certificate against {@code address}' host name (which is also
   * sent as SNI unless it is an IP address); otherwise as
   * {@link #connect(InetSocketAddress, Duration, ConnectionOptions)}. The connection's
   * {@link Connection#tls()} tells what was negotiated.
   *
   * @throws javax.net.ssl.SSLException if the handshake fails, for example an untrusted or
   *     mismatched certificate; nothing is left open
   */
  public static Connection connect(
      InetSocketAddress address, Duration timeout, ConnectionOptions options, TlsOptions tls)
      throws IOException {
    Objects.requireNonNull(tls, "tls");
    ChannelConnection raw = open(address, timeout, options);
    try {
      TlsConnection secure =
          TlsConnection.client(raw, tls, address.getHostString(), options.writeBufferSize());
      secure.handshake();
      return secure;
    } catch (IOException | RuntimeException e) {
      raw.abort();
      throw e;
    }
  }

  private static ChannelConnection open(
      InetSocketAddress address, Duration timeout, ConnectionOptions options) throws IOException {
    Objects.requireNonNull(options, "options");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout < 0: " + timeout);
    }
    if (address.isUnresolved()) {
      throw new UnknownHostException("cannot connect: host " + address.getHostString() + " does not resolve");
    }
    SocketChannel channel = SocketChannel.open();
    try {
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
      if (!timeout.isZero() && millis == 0) {
        millis = 1;
      }
      try {
        channel.socket().connect(address, millis);
      } catch (ConnectException e) {
        ConnectException better = new ConnectException("cannot connect to " + address + ": " + e.getMessage());
        better.initCause(e);
        throw better;
      } catch (SocketTimeoutException e) {
        SocketTimeoutException better =
            new SocketTimeoutException("cannot connect to " + address + " within " + timeout);
        better.initCause(e);
        throw better;
      }
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    return ChannelConnection.open(
        channel, Poller.shared(), BufferPools.shared(options), options, Counters.UNUSED);
  }
}
