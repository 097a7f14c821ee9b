package dev.socketserver.engine.endpoint;

import java.io.IOException;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.NetworkChannel;
import org.jspecify.annotations.Nullable;

/**
 * What the IP transports (TCP, UDP) share about binding: port checks, the address family a bind
 * address asks for, SO_REUSEADDR/SO_REUSEPORT, and bind errors that say how to fix them.
 * Stateless and thread-safe.
 */
public final class IpBinding {
  private IpBinding() {}

  /**
   * Returns {@code port} if it is a valid port.
   *
   * @throws IllegalArgumentException if {@code port} is out of 0..65535
   */
  public static int checkPort(int port) {
    if (port < 0 || port > 0xFFFF) {
      throw new IllegalArgumentException("port out of range 0..65535: " + port);
    }
    return port;
  }

  /** Returns the address of {@code host} ({@code ""}: every interface) and {@code port}. */
  public static InetSocketAddress address(String host, int port) {
    checkPort(port);
    return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
  }

  /**
   * Returns {@code address} if its host resolved.
   *
   * @param what what is being bound, for the message, for example {@code "TCP server"}
   * @throws UnknownHostException if it did not
   */
  public static InetSocketAddress resolved(InetSocketAddress address, String what)
      throws UnknownHostException {
    if (address.isUnresolved()) {
      throw new UnknownHostException(
          "cannot bind " + what + ": host " + address.getHostString() + " does not resolve");
    }
    return address;
  }

  /**
   * Returns the family a socket bound to {@code address} needs: {@code INET} for a specific IPv4
   * address, null for the JDK's default (IPv6, dual-stack where the OS allows it) for the
   * wildcard and IPv6 addresses.
   */
  public static @Nullable ProtocolFamily family(InetSocketAddress address) {
    return address.getAddress() instanceof Inet4Address && !address.getAddress().isAnyLocalAddress()
        ? StandardProtocolFamily.INET
        : null;
  }

  /**
   * Sets SO_REUSEADDR and, if asked, SO_REUSEPORT on {@code channel}.
   *
   * @throws IOException if SO_REUSEPORT is asked for where the platform lacks it
   */
  public static void reuse(NetworkChannel channel, boolean reuseAddress, boolean reusePort)
      throws IOException {
    channel.setOption(StandardSocketOptions.SO_REUSEADDR, reuseAddress);
    if (reusePort) {
      if (!channel.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
        throw new IOException("SO_REUSEPORT is not supported on this platform: use reusePort(false)");
      }
      channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
    }
  }

  /** Opens an unbound channel of the family a bind address needs (null: the JDK's default). */
  @FunctionalInterface
  public interface Opener<C extends NetworkChannel> {
    /** Returns a new channel of {@code family}, or of the JDK's default family if null. */
    C open(@Nullable ProtocolFamily family) throws IOException;
  }

  /** Sets a fresh channel's options and binds it. */
  @FunctionalInterface
  public interface Binder<C extends NetworkChannel> {
    /** Configures {@code channel} and binds it to {@code address}. */
    void bind(C channel, InetSocketAddress address) throws IOException;
  }

  /**
   * Returns a channel opened for {@code address}'s family and bound by {@code binder}. On
   * failure the channel is closed; a {@link BindException} is explained by
   * {@link #bindFailure}.
   *
   * @param what what is being bound, for the message, for example {@code "TCP server"}
   */
  public static <C extends NetworkChannel> C bound(
      String what, InetSocketAddress address, Opener<C> opener, Binder<C> binder) throws IOException {
    C channel = opener.open(family(address));
    try {
      binder.bind(channel, address);
      return channel;
    } catch (BindException e) {
      channel.close();
      throw bindFailure(what, address, e);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Returns {@code e} explained: which address could not be bound, and what to do. */
  public static BindException bindFailure(String what, InetSocketAddress address, BindException e) {
    BindException better =
        new BindException(
            "cannot bind " + what + " to " + address + ": " + e.getMessage()
                + " (is another server using port " + address.getPort()
                + "? stop it, choose another port, or use port 0 for a free one)");
    better.initCause(e);
    return better;
  }
}
