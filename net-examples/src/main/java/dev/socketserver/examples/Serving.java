package dev.socketserver.examples;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Server;
import dev.socketserver.api.StreamServerBuilder;
import dev.socketserver.tcp.TcpServer;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandleProxies;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.InvocationTargetException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every server example does around its handler: bind from the options, set the timeouts,
 * say where it listens, serve, stop on a signal.
 */
final class Serving {
  /**
   * How long a stopping server lets connections in flight finish before it closes them: enough
   * for a request being served, short enough that an idle interactive client (an echo-client
   * waiting for its user) does not keep Ctrl-C waiting for the library's default of 30 s.
   */
  static final Duration DRAIN = Duration.ofSeconds(5);

  private Serving() {}

  /** Returns a TCP server builder bound to {@code --host} and {@code --port}, draining for {@link #DRAIN}. */
  static TcpServer.Builder tcp(Options options) {
    return TcpServer.builder()
        .bind(options.string("host"), options.integer("port"))
        .drainTimeout(DRAIN);
  }

  /**
   * Sets {@code --idle-timeout} and {@code --read-timeout} (declared by
   * {@link Options.Spec#timeouts}) on {@code builder}: a client that goes silent, or stops
   * reading, is closed instead of holding its connection (and a {@code --limit} slot) for ever.
   */
  static <B extends StreamServerBuilder<B>> B timeouts(B builder, Options options) {
    return builder.idleTimeout(options.duration("idle-timeout")).readTimeout(options.duration("read-timeout"));
  }

  /** Returns the timeouts {@link #timeouts} set, as {@link #announce} prints them: {@code idle timeout 60 s, read timeout 30 s}. */
  static String timeoutsSetting(Options options) {
    return "idle timeout " + seconds(options.duration("idle-timeout"))
        + ", read timeout " + seconds(options.duration("read-timeout"));
  }

  /** Formats {@code d} as {@code 30 s}, {@code 0.25 s}, or {@code none} for zero. */
  static String seconds(Duration d) {
    if (d.isZero()) {
      return "none";
    }
    return d.toNanos() % 1_000_000_000 == 0 ? d.toSeconds() + " s" : d.toNanos() / 1e9 + " s";
  }

  /**
   * Prints {@code <name>: listening on <address>} on {@code out}, the address the server is bound
   * to ({@code 127.0.0.1:3130}, {@code [::1]:3130}, the port chosen for {@code --port 0}; a Unix
   * socket's path), then, if there are {@code settings}, {@code <name>: } and them, comma-separated.
   * Every server example announces itself so, once built; a worker process of
   * {@code --concurrency processes:N} does not (its supervisor has).
   */
  static void announce(String name, Server server, PrintStream out, String... settings) {
    if (Concurrency.worker().isPresent()) {
      return;
    }
    out.println(name + ": listening on " + address(server.localAddress()));
    if (settings.length > 0) {
      out.println(name + ": " + String.join(", ", settings));
    }
  }

  /**
   * Formats an address as {@code 127.0.0.1:3130}, or {@code [::1]:3130} for IPv6; a Unix-domain
   * address as its path.
   */
  static String address(SocketAddress address) {
    if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
      String host = inet.getAddress().getHostAddress();
      return (inet.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + inet.getPort();
    }
    if (address instanceof UnixDomainSocketAddress unix) {
      return unix.getPath().toString();
    }
    return address.toString();
  }

  /** Builds a server; may fail like {@code build()} does. */
  @FunctionalInterface
  interface Factory {
    Server build() throws IOException;
  }

  /**
   * Builds the server, serves it until SIGINT (Ctrl-C) or SIGTERM, then closes it: stops
   * accepting, lets requests in flight finish for up to {@link #DRAIN}, releases the port. A
   * second signal stops the requests in flight at once. Returns normally, so the process exits 0.
   *
   * @implNote Why not a shutdown hook: when the JVM's own handler gets SIGTERM or SIGINT, it runs
   *     the shutdown hooks and then exits with status 128 + signal (143, 130), whatever a hook
   *     does; a hook can clean up but not say "this was a normal stop". Handling the signals
   *     ourselves replaces that default: a signal only asks the server to shut down,
   *     {@code serveForever()} returns on the main thread, {@code close()} drains, {@code main}
   *     returns and the JVM exits 0 like any program that finished. The handlers are installed
   *     before the server is built, so a signal that comes as soon as the server announces itself
   *     is not lost.
   */
  static void untilSignalled(Factory factory) throws IOException {
    CompletableFuture<Server> built = new CompletableFuture<>();
    AtomicInteger signals = new AtomicInteger();
    for (String name : List.of("INT", "TERM")) {
      onSignal(
          name,
          () -> {
            boolean first = signals.incrementAndGet() == 1;
            System.err.println(
                "SIG" + name + (first ? ": shutting down (again to stop at once)" : ": stopping now"));
            // Runs now if the server is built, else as soon as it is; it cannot fail.
            var _ = built.thenAccept(first ? Server::shutdown : Server::shutdownNow);
          });
    }
    try (Server server = factory.build()) {
      built.complete(server);
      server.serveForever();
    }
  }

  /**
   * Runs {@code action} (on a thread of its own) when the process gets signal {@code name}, in
   * place of the JVM's default action. If the signal cannot be handled here (the JVM keeps it
   * with {@code -Xrs}, or the OS has no such signal) it says so on stderr and the default stays.
   *
   * @implNote This is {@code sun.misc.Signal.handle(new Signal(name), signal -> action.run())},
   *     the JDK's supported way to handle a signal (module {@code jdk.unsupported}, required in
   *     module-info), called reflectively for one reason: javac warns about every use of
   *     {@code sun.misc} and offers no way to suppress that warning, and this build has none.
   */
  private static void onSignal(String name, Runnable action) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
      MethodHandle run =
          MethodHandles.publicLookup()
              .findVirtual(Runnable.class, "run", MethodType.methodType(void.class))
              .bindTo(action);
      // SignalHandler.handle(Signal): the Runnable, ignoring its Signal argument.
      Object handler =
          MethodHandleProxies.asInterfaceInstance(handlerType, MethodHandles.dropArguments(run, 0, signal));
      signal
          .getMethod("handle", signal, handlerType)
          .invoke(null, signal.getConstructor(String.class).newInstance(name), handler);
    } catch (InvocationTargetException e) {
      System.err.println("cannot handle SIG" + name + ": " + e.getCause());
    } catch (ReflectiveOperationException e) {
      System.err.println("cannot handle SIG" + name + " on this JVM: " + e);
    }
  }
}
