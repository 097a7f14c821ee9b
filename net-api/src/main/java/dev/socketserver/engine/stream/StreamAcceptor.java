package dev.socketserver.engine.stream;

import dev.socketserver.engine.proxy.ProxiedConnection;
import dev.socketserver.engine.proxy.ProxyHeaders;
import dev.socketserver.engine.proxy.UntrustedProxyException;
import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.engine.telemetry.Events;
import dev.socketserver.engine.telemetry.Logs;
import dev.socketserver.engine.tls.TlsConnection;
import dev.socketserver.spi.Acceptor;
import dev.socketserver.spi.Rejection;

import dev.socketserver.api.Connection;
import dev.socketserver.api.ConnectionOptions;
import dev.socketserver.api.Server;
import dev.socketserver.api.ProxyHeader;
import dev.socketserver.api.ProxyProtocol;
import dev.socketserver.spi.StreamSettings;
import dev.socketserver.api.TlsOptions;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * Accepts stream connections (TCP or Unix) from a bound {@link ServerSocketChannel} (or several
 * of one SO_REUSEPORT group, each a lane of the core: TCP's {@code listeners(n)}) and turns
 * them into {@link ChannelConnection}s, each served by one poller of a {@link PollerGroup} (the
 * least loaded at accept) for its whole life.
 *
 * <p>The listening channel has a selector of its own, waited on by the serving thread, so that
 * {@link #wakeup()} ends a wait at once and an accept never waits on a poller. One thread
 * accepting is enough: an accept and its hand-off cost a small part of what serving the
 * connection costs the pollers (see BENCHMARKS.md, connection rate). Owns the listening channel,
 * the selector and the pollers; thread-safety as in {@link Acceptor}.
 */
public final class StreamAcceptor implements Acceptor<Connection> {
  private static final Logger log = Logs.get(StreamAcceptor.class);

  /** Configures an accepted channel before it becomes a connection (socket options). */
  @FunctionalInterface
  public interface Configurer {
    /** Configures {@code channel}. */
    void configure(SocketChannel channel) throws IOException;
  }

  // One listener, or several of one SO_REUSEPORT group (lanes), each with a selector of its own.
  private final ServerSocketChannel[] listeners;
  private final Selector[] selectors;
  // Over every listener, for accept(timeout) with several lanes; selectors[0] with one.
  private final Selector any;
  private final AtomicInteger nextLane = new AtomicInteger();
  private final PollerGroup pollers;
  private final ConnectionOptions options;
  private final Configurer configurer;
  private final Counters counters;
  private final Runnable afterClose;
  private final SocketAddress localAddress;
  private final @Nullable Deadlines deadlines;
  private final @Nullable TlsOptions tls;
  private final @Nullable ProxyProtocol proxyProtocol;
  private volatile @Nullable Server server;

  private StreamAcceptor(
      ServerSocketChannel[] listeners,
      Selector[] selectors,
      Selector any,
      PollerGroup pollers,
      StreamSettings settings,
      Configurer configurer,
      Counters counters,
      Runnable afterClose)
      throws IOException {
    this.listeners = listeners;
    this.selectors = selectors;
    this.any = any;
    this.pollers = pollers;
    this.options = settings.connection();
    this.tls = settings.tls().orElse(null);
    this.proxyProtocol = settings.proxyProtocol().orElse(null);
    this.deadlines = Deadlines.of(settings.idleTimeout(), settings.maxLifetime());
    this.configurer = configurer;
    this.counters = counters;
    this.afterClose = afterClose;
    this.localAddress = listeners[0].getLocalAddress();
  }

  /**
   * Takes ownership of a bound {@code listener} and prepares to accept from it with every
   * stream setting (idle timeout, lifetime, TLS, PROXY protocol). On failure everything,
   * {@code listener} included, is closed and {@code afterClose} has run.
   *
   * @param afterClose runs once the listener is closed (a Unix server removes its socket file)
   */
  public static StreamAcceptor open(
      ServerSocketChannel listener,
      String name,
      StreamSettings settings,
      Configurer configurer,
      Counters counters,
      Runnable afterClose)
      throws IOException {
    return open(List.of(listener), name, settings, configurer, counters, afterClose);
  }

  /**
   * As {@link #open(ServerSocketChannel, String, StreamSettings, Configurer, Counters, Runnable)},
   * over several listeners of one SO_REUSEPORT group bound to the same address: each is a lane
   * of the core, accepted from by a thread of its own (see {@link Acceptor#lanes()}).
   */
  public static StreamAcceptor open(
      List<ServerSocketChannel> listeners,
      String name,
      StreamSettings settings,
      Configurer configurer,
      Counters counters,
      Runnable afterClose)
      throws IOException {
    int n = listeners.size();
    Selector[] selectors = new Selector[n];
    Selector any = null;
    PollerGroup pollers = null;
    try {
      for (int i = 0; i < n; i++) {
        listeners.get(i).configureBlocking(false);
        selectors[i] = Selector.open();
        listeners.get(i).register(selectors[i], SelectionKey.OP_ACCEPT);
      }
      if (n == 1) {
        any = selectors[0];
      } else {
        any = Selector.open();
        for (ServerSocketChannel l : listeners) {
          l.register(any, SelectionKey.OP_ACCEPT);
        }
      }
      Deadlines d = Deadlines.of(settings.idleTimeout(), settings.maxLifetime());
      pollers = PollerGroup.start("socketserver-poller " + name, settings.pollers(),
          d == null ? Duration.ZERO : d.sweepInterval(), settings.connection(),
          new InboundBudget(settings.inboundBudget()), settings.pollersAnswer());
      return new StreamAcceptor(listeners.toArray(ServerSocketChannel[]::new), selectors, any, pollers,
          settings, configurer, counters, afterClose);
    } catch (IOException | RuntimeException e) {
      if (pollers != null) {
        pollers.close();
      }
      for (Selector sel : selectors) {
        if (sel != null) {
          closeQuietly(sel);
        }
      }
      if (any != null) {
        closeQuietly(any);
      }
      listeners.forEach(StreamAcceptor::closeQuietly);
      afterClose.run();
      throw e;
    }
  }

  @Override
  public int lanes() {
    return listeners.length;
  }

  @Override
  public @Nullable Connection accept(int lane, long timeoutNanos) throws IOException {
    // Try first: under load the backlog is rarely empty, and this saves a select per connection.
    SocketChannel channel = listeners[lane].accept();
    if (channel == null) {
      select(selectors[lane], timeoutNanos);
      channel = listeners[lane].accept();
    }
    return channel == null ? null : connection(channel);
  }

  @Override
  public @Nullable Connection accept(long timeoutNanos) throws IOException {
    if (listeners.length == 1) {
      return accept(0, timeoutNanos);
    }
    SocketChannel channel = acceptAny();
    if (channel == null) {
      select(any, timeoutNanos);
      channel = acceptAny();
    }
    return channel == null ? null : connection(channel);
  }

  // From the listener after the one that gave the last, so a busy one cannot starve the others.
  private @Nullable SocketChannel acceptAny() throws IOException {
    int start = nextLane.getAndIncrement();
    for (int i = 0; i < listeners.length; i++) {
      SocketChannel c = listeners[Math.floorMod(start + i, listeners.length)].accept();
      if (c != null) {
        return c;
      }
    }
    return null;
  }

  private static void select(Selector selector, long timeoutNanos) throws IOException {
    if (timeoutNanos < 0) {
      selector.select();
    } else if (timeoutNanos == 0) {
      selector.selectNow();
    } else {
      selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos + 999_999)));
    }
    selector.selectedKeys().clear();
  }

  private @Nullable Connection connection(SocketChannel channel) {
    try {
      configurer.configure(channel);
      PollerGroup.Lane lane = pollers.next();
      ChannelConnection c = ChannelConnection.open(channel, lane.poller(), lane.pools(), options, counters);
      c.watch(deadlines);
      c.acceptedBy(server);
      Events.accepted(c.remoteAddress(), c.localAddress());
      return c;
    } catch (IOException e) {
      // The client may have gone already; that is its problem, not the accept loop's.
      log.debug("Dropping a connection that could not be set up: {}", e.toString());
      closeQuietly(channel);
      return null;
    }
  }

  @Override
  public void attach(Server s) {
    this.server = s;
  }

  @Override
  public void wakeup() {
    for (Selector sel : selectors) {
      sel.wakeup();
    }
    any.wakeup();
  }

  @Override
  public SocketAddress localAddress() {
    return localAddress;
  }

  @Override
  public String describe(Connection request) {
    return request.remoteAddress().toString();
  }

  @Override
  public void finish(Connection request) throws IOException {
    request.close();
  }

  @Override
  public Connection prepare(Connection request) throws IOException {
    ChannelConnection raw = (ChannelConnection) request;
    ProxyProtocol proxy = proxyProtocol;
    ProxyHeader header = proxy == null ? null : readProxyHeader(raw, proxy);
    if (header != null) {
      raw.markRequestStart();
    }
    Connection c = raw;
    TlsOptions t = tls;
    if (t != null) {
      TlsConnection secure = TlsConnection.server(raw, t, options.writeBufferSize(), counters);
      secure.handshake();
      c = secure;
    }
    return header == null ? c : new ProxiedConnection(c, raw, header);
  }

  /** A failed TLS handshake and an untrusted PROXY source are logged as what they are, at INFO. */
  @Override
  public Rejection rejection(Exception failure) {
    if (failure instanceof SSLException) {
      return new Rejection(
          "Connections rejected for a failed TLS handshake", Level.INFO, "TLS handshake failed: " + failure);
    }
    if (failure instanceof UntrustedProxyException) {
      return new Rejection(
          "Connections rejected for not coming from a trusted proxy", Level.INFO, String.valueOf(failure.getMessage()));
    }
    return Acceptor.super.rejection(failure);
  }

  private static ProxyHeader readProxyHeader(ChannelConnection raw, ProxyProtocol proxy)
      throws IOException {
    SocketAddress peer = raw.remoteAddress();
    if (!proxy.trusts(peer)) {
      throw new UntrustedProxyException(
          "PROXY protocol: " + peer + " is not a trusted proxy (trusted: " + proxy.trusted() + ")");
    }
    return ProxyHeaders.read(raw.readingWithin(proxy.headerTimeout()), peer);
  }

  /** The client sent nothing but, perhaps, a PROXY header: a balancer's health check. */
  @Override
  public boolean silent(Connection request) {
    return raw(request).silent();
  }

  /** Ends the connection's reads at its next message boundary (see Connection.draining()). */
  @Override
  public void draining(Connection request) {
    raw(request).startDraining();
  }

  @Override
  public void abort(Connection request) {
    raw(request).abort();
  }

  private static ChannelConnection raw(Connection c) {
    return c instanceof ForwardingConnection f ? f.raw() : (ChannelConnection) c;
  }

  @Override
  public void closeListener() {
    for (Selector sel : selectors) {
      closeQuietly(sel);
    }
    closeQuietly(any);
    for (ServerSocketChannel l : listeners) {
      closeQuietly(l);
    }
    afterClose.run();
  }

  @Override
  public void terminated() {
    pollers.close();
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.debug("Closing {} failed", c, e);
    }
  }
}
