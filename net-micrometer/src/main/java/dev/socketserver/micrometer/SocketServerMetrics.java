package dev.socketserver.micrometer;

import dev.socketserver.api.Server;
import dev.socketserver.api.ServerMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToDoubleFunction;

/**
 * The meters of one server, bound to any number of Micrometer registries: the counters of {@link
 * Server#metrics()}, read when a registry publishes, and a histogram of connection durations,
 * recorded as each connection closes. The names, types and tags, and their OpenTelemetry
 * counterparts, are listed in the module's documentation.
 *
 * {@snippet :
 * Server server = TcpServer.builder().bind(address).handler(handler).build();
 * SocketServerMetrics.of(server, Tags.of("server", "echo")).bindTo(registry);
 * server.serveForever();
 * }
 *
 * <p>Bind once per server: every binder of the same server and registry records each duration
 * again into the same histogram. Binding this binder to the same registry a second time does
 * nothing. Durations are recorded from the first {@link #bindTo} on; the counters are totals since
 * the server was built.
 *
 * <p>Who closes what: the binder owns nothing to close. It registers a {@link
 * dev.socketserver.api.ServerListener} with the server, which lives as long as the server; the
 * meters live in the registry until removed from it or the registry is closed, and after the
 * server terminated they show its final counts. The counter meters hold the server weakly, like
 * Micrometer's own binders.
 *
 * <p>Thread-safe: {@link #bindTo} may be called from any thread, at any point of the server's
 * life.
 */
public final class SocketServerMetrics implements MeterBinder {
  /**
   * The bucket bounds of the connection-duration histogram, in seconds: those OpenTelemetry
   * advises for {@code kestrel.connection.duration}.
   */
  private static final List<Duration> BUCKETS =
      List.of(0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
          .stream()
          .map(s -> Duration.ofNanos(Math.round(s * 1e9)))
          .toList();

  private final Server server;
  private final Tags tags;
  // The registries bound so far (guarded by this), and their histograms, which the server's
  // listener records into.
  private final Set<MeterRegistry> bound = Collections.newSetFromMap(new IdentityHashMap<>());
  private final List<Timer> durations = new CopyOnWriteArrayList<>();

  private SocketServerMetrics(Server server, Tags tags) {
    this.server = server;
    this.tags = tags;
  }

  /**
   * Returns a binder for {@code server}'s meters, tagged with the server's address only (see the
   * module documentation).
   */
  public static SocketServerMetrics of(Server server) {
    return of(server, Tags.empty());
  }

  /**
   * Returns a binder for {@code server}'s meters, tagged with the server's address and with
   * {@code tags} (for example {@code Tags.of("server", "echo")} to tell servers apart on one
   * port-less Unix path or in one dashboard). A tag of {@code tags} with the same key as an
   * address tag replaces it.
   */
  public static SocketServerMetrics of(Server server, Iterable<Tag> tags) {
    Objects.requireNonNull(server, "server");
    Objects.requireNonNull(tags, "tags");
    return new SocketServerMetrics(server, addressTags(server).and(tags));
  }

  /** Returns the tags every meter of this binder carries. */
  public Tags tags() {
    return tags;
  }

  /**
   * Registers the server's meters in {@code registry}, unless this binder already did; the first
   * call also registers the listener that feeds the connection-duration histograms.
   */
  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    if (!bound.add(registry)) {
      return;
    }
    Gauge.builder("socketserver.active_connections", server, s -> s.metrics().active())
        .tags(tags)
        .description("Connections (requests, for a datagram server) whose handler is running or about to run")
        .register(registry);
    Timer timer =
        Timer.builder("socketserver.connection.duration")
            .tags(tags)
            .description("How long connections stayed open, from accept to close")
            .serviceLevelObjectives(BUCKETS.toArray(Duration[]::new))
            .register(registry);
    counter(registry, "socketserver.accepted_connections", ServerMetrics::accepted, Tags.empty(),
        "Connections accepted (datagrams received), rejected ones included");
    counter(registry, "socketserver.rejected_connections", ServerMetrics::rejected, Tags.empty(),
        "Connections refused before their handler ran: filter, PROXY header, TLS handshake");
    String requests = "Requests whose handler returned (completed) or threw or that were invalid (failed)";
    counter(registry, "socketserver.requests", ServerMetrics::completed,
        Tags.of("outcome", "completed"), requests);
    counter(registry, "socketserver.requests", ServerMetrics::failed,
        Tags.of("outcome", "failed"), requests);
    counter(registry, "socketserver.cut_requests", ServerMetrics::cut, Tags.empty(),
        "Requests stopped by shutdownNow or a passed drain deadline");
    counter(registry, "socketserver.probes", ServerMetrics::probes, Tags.empty(),
        "Connections that ended without the client sending a byte: load balancer health checks");
    counter(registry, "socketserver.replies", ServerMetrics::replies, Tags.empty(),
        "Reply datagrams sent (always 0 for a stream server)");
    String io = "Bytes received from and sent to clients, on the wire";
    FunctionCounter.builder("socketserver.io", server, read(ServerMetrics::bytesRead))
        .tags(tags).tag("network.io.direction", "receive").baseUnit("bytes").description(io)
        .register(registry);
    FunctionCounter.builder("socketserver.io", server, read(ServerMetrics::bytesWritten))
        .tags(tags).tag("network.io.direction", "transmit").baseUnit("bytes").description(io)
        .register(registry);
    limit(registry, "read-timeout", ServerMetrics::readTimeouts);
    limit(registry, "write-timeout", ServerMetrics::writeTimeouts);
    limit(registry, "idle-timeout", ServerMetrics::idleTimeouts);
    limit(registry, "max-lifetime", ServerMetrics::lifetimeExpirations);
    limit(registry, "concurrency-limit", ServerMetrics::limitWaits);
    limit(registry, "inbound-budget", ServerMetrics::inboundBudgetHits);
    limit(registry, "tls-renegotiation", ServerMetrics::renegotiationsRefused);
    listen(timer);
  }

  private void listen(Timer timer) {
    durations.add(timer);
    if (bound.size() == 1) {
      List<Timer> timers = durations;
      server.addListener(d -> {
        for (Timer t : timers) {
          t.record(d);
        }
      });
    }
  }

  private void limit(MeterRegistry registry, String limit, ToDoubleFunction<ServerMetrics> count) {
    counter(registry, "socketserver.limit.hits", count, Tags.of("limit", limit),
        "Times a limit bit: a timeout, the concurrency limit, the inbound budget, a refused TLS renegotiation");
  }

  private void counter(
      MeterRegistry registry,
      String name,
      ToDoubleFunction<ServerMetrics> count,
      Tags own,
      String description) {
    FunctionCounter.builder(name, server, read(count))
        .tags(tags)
        .tags(own)
        .description(description)
        .register(registry);
  }

  private static ToDoubleFunction<Server> read(ToDoubleFunction<ServerMetrics> count) {
    return s -> count.applyAsDouble(s.metrics());
  }

  /** The OpenTelemetry attributes of the server's bound address. */
  private static Tags addressTags(Server server) {
    SocketAddress a = server.localAddress();
    if (a instanceof UnixDomainSocketAddress u) {
      return Tags.of("network.transport", "unix", "server.address", u.getPath().toString());
    }
    if (a instanceof InetSocketAddress i) {
      return Tags.of(
          "network.transport", isUdp(server) ? "udp" : "tcp",
          "network.type", i.getAddress() instanceof Inet6Address ? "ipv6" : "ipv4",
          "server.address", i.getHostString(),
          "server.port", Integer.toString(i.getPort()));
    }
    return Tags.of("server.address", String.valueOf(a));
  }

  // The API has no transport accessor; UdpServer is the one IP datagram server.
  private static boolean isUdp(Server server) {
    return server.getClass().getName().equals("dev.socketserver.udp.UdpServer");
  }
}
