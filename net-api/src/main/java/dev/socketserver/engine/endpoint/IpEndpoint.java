package dev.socketserver.engine.endpoint;

import dev.socketserver.api.Concurrency;
import dev.socketserver.engine.prefork.Prefork;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.NetworkChannel;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Where an IP server builder (TCP, UDP) binds, and how: an address or the socket this process
 * inherited, SO_REUSEADDR and SO_REUSEPORT; and the binding itself. The builders' {@code bind},
 * {@code inheritedChannel}, {@code reuseAddress} and {@code reusePort} set it; their
 * {@code build()} reads it. What differs between TCP and UDP (the channel type, the backlog, the
 * defaults) is passed in.
 *
 * <p>Not thread-safe: part of a builder, configured on one thread.
 */
public final class IpEndpoint {
  private final String what;
  private @Nullable InetSocketAddress address;
  private boolean inherited;
  private boolean reuseAddress;
  private boolean reusePort;

  /**
   * An endpoint of a {@code what} server (for messages, for example {@code "TCP server"}) with
   * SO_REUSEADDR set to {@code reuseAddress} until told otherwise, and no address yet.
   */
  public IpEndpoint(String what, boolean reuseAddress) {
    this.what = what;
    this.reuseAddress = reuseAddress;
  }

  /** Binds to {@code address}, instead of an inherited socket. */
  public void bind(InetSocketAddress to) {
    this.address = Objects.requireNonNull(to, "address");
    this.inherited = false;
  }

  /**
   * Binds to {@code host} ({@code ""}: every interface) and {@code port}.
   *
   * @throws IllegalArgumentException if {@code port} is out of 0..65535
   */
  public void bind(String host, int port) {
    bind(IpBinding.address(host, port));
  }

  /** Serves the socket this process inherited, instead of binding one. */
  public void inherit() {
    this.inherited = true;
    this.address = null;
  }

  /** Sets SO_REUSEADDR for the socket bound. */
  public void reuseAddress(boolean on) {
    this.reuseAddress = on;
  }

  /** Sets SO_REUSEPORT for the socket bound. */
  public void reusePort(boolean on) {
    this.reusePort = on;
  }

  /**
   * Returns whether the server serves an inherited socket.
   *
   * @throws IllegalStateException if it does and {@code policy} is
   *     {@link Concurrency#processes(int)}, whose workers bind the port each
   */
  public boolean inherited(Concurrency policy) {
    if (inherited && policy instanceof Concurrency.Processes) {
      throw new IllegalStateException(
          "Concurrency.processes(n) binds the port in each worker and cannot share an inherited"
              + " channel: use bind(...), or another policy with inheritedChannel()");
    }
    return inherited;
  }

  /**
   * Returns the address to bind.
   *
   * @throws IllegalStateException if none was given
   * @throws java.net.UnknownHostException if its host did not resolve
   */
  public InetSocketAddress address() throws IOException {
    InetSocketAddress a = address;
    if (a == null) {
      throw new IllegalStateException("no address: call bind(...) or inheritedChannel() before build()");
    }
    return IpBinding.resolved(a, what);
  }

  /**
   * Returns a channel opened for {@code at}'s family, with SO_REUSEADDR and SO_REUSEPORT as set,
   * configured and bound by {@code binder}; closed again on failure, with a bind error that says
   * how to fix it. A {@code worker} of a processes server always sets SO_REUSEPORT, the
   * workers' group sharing the port.
   */
  public <C extends NetworkChannel> C open(
      InetSocketAddress at, IpBinding.Opener<C> opener, IpBinding.Binder<C> binder, boolean worker)
      throws IOException {
    return IpBinding.bound(what, at, opener, (channel, a) -> {
      IpBinding.reuse(channel, reuseAddress, reusePort && !worker);
      if (worker) {
        Prefork.reusePort(channel);
      }
      binder.bind(channel, a);
    });
  }
}
