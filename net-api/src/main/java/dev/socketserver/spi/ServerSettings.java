package dev.socketserver.spi;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.ErrorHandler;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.Server;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The settings every server has, whatever its transport, as an {@link AbstractServerBuilder}
 * collected them: what a transport's {@code build()} hands to the server core
 * ({@link dev.socketserver.spi.factory.ServerFactory}) with its {@link Acceptor}. Users set them
 * through their builder's methods.
 *
 * <p>Immutable and thread-safe (the hooks it holds are the user's, and must be thread-safe
 * themselves unless the policy is sequential).
 *
 * @param <R> the request type
 */
public final class ServerSettings<R> {
  private final RequestHandler<? super R> handler;
  private final Concurrency concurrency;
  private final @Nullable ErrorHandler<? super R> errorHandler;
  private final @Nullable Predicate<? super R> filter;
  private final Runnable timeoutHook;
  private final @Nullable Runnable serviceAction;
  private final Duration serviceInterval;
  private final Duration drainTimeout;

  ServerSettings(
      RequestHandler<? super R> handler,
      Concurrency concurrency,
      @Nullable ErrorHandler<? super R> errorHandler,
      @Nullable Predicate<? super R> filter,
      Runnable timeoutHook,
      @Nullable Runnable serviceAction,
      Duration serviceInterval,
      Duration drainTimeout) {
    this.handler = handler;
    this.concurrency = concurrency;
    this.errorHandler = errorHandler;
    this.filter = filter;
    this.timeoutHook = timeoutHook;
    this.serviceAction = serviceAction;
    this.serviceInterval = serviceInterval;
    this.drainTimeout = drainTimeout;
  }

  /** The most pollers a builder accepts. */
  static final int MAX_POLLERS = 1024;

  /**
   * Returns how many pollers (I/O threads: a stream server's readiness pollers, a UDP server's
   * receive sockets) a server of this process runs unless its builder says otherwise: one per
   * processor available to the JVM ({@link Runtime#availableProcessors()}, which honours the
   * process's CPU affinity and container limits), divided among the workers when this process is
   * one of a {@link Concurrency#processes(int)} server's ({@link Concurrency#worker()}), at
   * least one. Why one per core: a poller is one thread, so more pollers than cores cannot read
   * at once (a virtual poller's scheduler runs one virtual thread per core at a time); fewer
   * leave cores whose connections no one reads.
   */
  public static int defaultPollers() {
    return defaultPollers(Runtime.getRuntime().availableProcessors(),
        Concurrency.worker().map(Concurrency.Worker::count).orElse(1));
  }

  /** The default for {@code cpus} processors shared by {@code workers} processes. */
  static int defaultPollers(int cpus, int workers) {
    return Math.clamp(cpus / workers, 1, MAX_POLLERS);
  }

  /**
   * Returns {@code n} if it is a valid pollers count for a builder.
   *
   * @throws IllegalArgumentException if it is out of 1..1024
   */
  public static int checkPollers(int n) {
    if (n < 1 || n > MAX_POLLERS) {
      throw new IllegalArgumentException("pollers must be 1.." + MAX_POLLERS + ": " + n);
    }
    return n;
  }

  /** Returns these settings with {@code policy} in place of the concurrency policy. */
  public ServerSettings<R> withConcurrency(Concurrency policy) {
    return new ServerSettings<>(
        handler,
        Objects.requireNonNull(policy, "policy"),
        errorHandler,
        filter,
        timeoutHook,
        serviceAction,
        serviceInterval,
        drainTimeout);
  }

  /** Returns the request handler. */
  public RequestHandler<? super R> handler() {
    return handler;
  }

  /** Returns the concurrency policy. */
  public Concurrency concurrency() {
    return concurrency;
  }

  /** Returns the error handler, empty for the default (a WARN log naming the client). */
  public Optional<ErrorHandler<? super R>> errorHandler() {
    return Optional.ofNullable(errorHandler);
  }

  /** Returns the request filter, empty if every request is accepted. */
  public Optional<Predicate<? super R>> filter() {
    return Optional.ofNullable(filter);
  }

  /** Returns the hook run when {@link Server#handleRequest} times out (default: nothing). */
  public Runnable timeoutHook() {
    return timeoutHook;
  }

  /** Returns the periodic service action, empty if there is none. */
  public Optional<Runnable> serviceAction() {
    return Optional.ofNullable(serviceAction);
  }

  /** Returns the interval of the service action. */
  public Duration serviceInterval() {
    return serviceInterval;
  }

  /** Returns how long {@link Server#close()} lets requests in flight finish. */
  public Duration drainTimeout() {
    return drainTimeout;
  }
}
