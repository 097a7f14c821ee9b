package dev.socketserver.unix;

import dev.socketserver.api.Connection;
import dev.socketserver.api.ConnectionOptions;
import dev.socketserver.engine.stream.BufferPools;
import dev.socketserver.engine.stream.ChannelConnection;
import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.engine.stream.Poller;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Connects to Unix-domain servers: stream connections that speak the same {@link Connection} API
 * a server's handler gets, and {@link UnixDatagramClient}s.
 *
 * {@snippet :
 * try (Connection c = UnixClient.connect(Path.of("/run/app/app.sock"))) {
 *     c.output().write("hello\n".getBytes(StandardCharsets.UTF_8));
 *     String reply = c.readLine(8192);
 * }
 * }
 *
 * <p>Stateless and thread-safe. The caller owns and closes what it returns.
 */
public final class UnixClient {
  private UnixClient() {}

  /**
   * Connects to the stream server at {@code path}.
   *
   * @throws ConnectException if nobody listens there; the message names the path
   * @throws IOException if the path does not exist or cannot be reached; the message names it
   */
  public static Connection connect(Path path) throws IOException {
    return connect(UnixDomainSocketAddress.of(path), ConnectionOptions.defaults());
  }

  /**
   * Connects to the stream server at {@code address}, with {@code options}' timeouts and buffer
   * sizes; as {@link #connect(Path)}. A Unix-domain connect does not wait for the network: it
   * succeeds or fails at once, unless the server's backlog is full, when it waits for room.
   */
  public static Connection connect(UnixDomainSocketAddress address, ConnectionOptions options)
      throws IOException {
    Objects.requireNonNull(options, "options");
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      channel.connect(address);
    } catch (ConnectException e) {
      channel.close();
      ConnectException better = new ConnectException(
          "cannot connect to " + address + ": " + e.getMessage() + " (is the server running?)");
      better.initCause(e);
      throw better;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw new IOException("cannot connect to " + address + ": " + e.getMessage(), e);
    }
    return ChannelConnection.open(
        channel, Poller.shared(), BufferPools.shared(options), options, Counters.UNUSED);
  }

  /**
   * Opens a datagram client for the server at {@code server} (a socket file path, or a
   * {@link UnixAbstractAddress}), bound to a new socket file in a private temporary directory so
   * that replies can reach it; closing the client removes both.
   *
   * @throws IOException if the JVM denies this module native access (the message gives the flag)
   *     or the socket cannot be made
   */
  public static UnixDatagramClient datagram(SocketAddress server) throws IOException {
    return UnixDatagramClient.open(server, null);
  }

  /** Opens a datagram client for the server at the socket file {@code server}; as {@link #datagram(SocketAddress)}. */
  public static UnixDatagramClient datagram(Path server) throws IOException {
    return datagram(UnixDomainSocketAddress.of(server));
  }

  /**
   * Opens a datagram client for {@code server} bound to {@code local}: a socket file path (which
   * must not exist, or be a stale socket) or an abstract name. Closing the client removes a
   * socket file.
   */
  public static UnixDatagramClient datagram(SocketAddress server, SocketAddress local) throws IOException {
    return UnixDatagramClient.open(server, Objects.requireNonNull(local, "local"));
  }
}
