package dev.socketserver.api;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The options every server builder has, whatever its transport: handler, concurrency and hooks.
 * Transports extend it with their own options (address, socket options) and {@link #build()}.
 *
 * <p>Not thread-safe: configure a builder on one thread. A builder can build several servers;
 * each gets the settings as they were at {@code build()}.
 *
 * @param <R> the request type the handler serves
 * @param <B> the concrete builder type, returned by every setter
 */
public abstract class ServerBuilder<R, B extends ServerBuilder<R, B>> {
  private @Nullable RequestHandler<? super R> handler;
  private Concurrency concurrency = Concurrency.virtualThreads();
  private @Nullable ErrorHandler<? super R> errorHandler;
  private @Nullable Predicate<? super R> filter;
  private Runnable timeoutHook = ServerBuilder::nothing;
  private @Nullable Runnable serviceAction;
  private Duration serviceInterval = Duration.ofMillis(500);
  private Duration drainTimeout = Duration.ofSeconds(30);

  /** For transports: creates a builder with the defaults. */
  protected ServerBuilder() {}

  /** Sets the handler called for each request. Required. */
  public final B handler(RequestHandler<? super R> requestHandler) {
    this.handler = Objects.requireNonNull(requestHandler, "handler");
    return self();
  }

  /** Sets the concurrency policy; the default is {@link Concurrency#virtualThreads()}. */
  public final B concurrency(Concurrency policy) {
    this.concurrency = Objects.requireNonNull(policy, "concurrency");
    return self();
  }

  /**
   * Sets the error handler, told of every request whose handler threw (Python's
   * {@code handle_error}). The default logs a WARN naming the client, with the stack trace.
   */
  public final B errorHandler(ErrorHandler<? super R> onError) {
    this.errorHandler = Objects.requireNonNull(onError, "errorHandler");
    return self();
  }

  /**
   * Sets the request filter (Python's {@code verify_request}). It runs on the request's own
   * thread, after the transport prepared the request (TLS handshake, PROXY protocol header) and
   * before the handler, so it sees the real client address and TLS identity; while it runs the
   * request counts toward the concurrency limit. A request it refuses (or that makes it throw)
   * is closed once, counted as rejected, and never reaches the handler. Each refusal is logged
   * at DEBUG ({@code "Rejected request from <client>: refused by the filter"}, logger
   * {@code dev.socketserver.Server}), a filter that throws at WARN with its stack trace; both at
   * most 10 lines per 10 s, then one line saying how many more there were.
   */
  public final B filter(Predicate<? super R> accept) {
    this.filter = Objects.requireNonNull(accept, "filter");
    return self();
  }

  /**
   * Sets the hook run when {@link Server#handleRequest(Duration)} sees no request in time
   * (Python's {@code handle_timeout}). It runs on the thread that called {@code handleRequest}.
   */
  public final B onTimeout(Runnable hook) {
    this.timeoutHook = Objects.requireNonNull(hook, "onTimeout");
    return self();
  }

  /**
   * Sets an action the serving thread runs about every {@code interval} while it serves
   * (Python's {@code service_actions}). It runs between accepts, so with the sequential policy a
   * long request delays it; what it throws is logged.
   *
   * @throws IllegalArgumentException if {@code interval} is not positive
   */
  public final B serviceAction(Duration interval, Runnable action) {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("service interval must be positive: " + interval);
    }
    this.serviceInterval = interval;
    this.serviceAction = Objects.requireNonNull(action, "action");
    return self();
  }

  /**
   * Sets how long {@link Server#close()} lets requests in flight finish before it force-closes
   * them; 30 seconds by default.
   *
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  public final B drainTimeout(Duration timeout) {
    this.drainTimeout = ConnectionOptions.requireTimeout("drainTimeout", timeout);
    return self();
  }

  /**
   * Binds, listens and returns the server, ready to serve.
   *
   * @throws IOException if the socket cannot be set up (for example the address is in use); the
   *     message says which address and what to do. Nothing is left open.
   * @throws IllegalStateException if a required option (the handler, an address) is missing
   */
  public abstract Server build() throws IOException;

  /**
   * For transports: returns whether this transport serves {@link Concurrency#processes(int)},
   * whose workers share one address with SO_REUSEPORT; false unless a transport says otherwise.
   */
  protected boolean sharesAddressAcrossProcesses() {
    return false;
  }

  /**
   * For transports: returns the settings collected so far.
   *
   * @throws IllegalStateException if no handler was set, or the policy is
   *     {@link Concurrency#processes(int)} and this transport cannot share its socket between
   *     processes
   */
  protected final ServerSettings<R> settings() {
    RequestHandler<? super R> h = handler;
    if (h == null) {
      throw new IllegalStateException("no handler: call handler(...) before build()");
    }
    if (concurrency.mode() == Concurrency.Mode.PROCESSES && !sharesAddressAcrossProcesses()) {
      throw new IllegalStateException(
          "Concurrency." + concurrency + " needs worker processes that share one address with"
              + " SO_REUSEPORT, which " + getClass().getNestHost().getSimpleName()
              + " cannot do (only TCP and UDP sockets can share a port): use"
              + " Concurrency.virtualThreads() in one process, or a TCP server for processes(n)");
    }
    return new ServerSettings<>(
        h,
        concurrency,
        errorHandler,
        filter,
        timeoutHook,
        serviceAction,
        serviceInterval,
        drainTimeout);
  }

  private static void nothing() {}

  @SuppressWarnings("unchecked") // B is this builder's own type by the class's contract
  private B self() {
    return (B) this;
  }
}
