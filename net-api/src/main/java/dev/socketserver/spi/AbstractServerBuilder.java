package dev.socketserver.spi;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.ErrorHandler;
import dev.socketserver.api.RequestHandler;
import dev.socketserver.api.ServerBuilder;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * For transport authors: the state and checks of {@link ServerBuilder}'s options, so that a
 * transport's builder adds only its own options (address, socket options) and {@link #build()},
 * which reads what the user set with {@link #settings()}.
 *
 * <p>Not thread-safe: a builder is configured on one thread. A builder can build several
 * servers; {@link #settings()} returns a snapshot each time.
 *
 * @param <R> the request type the handler serves
 * @param <B> the concrete builder type, returned by every setter
 */
public abstract class AbstractServerBuilder<R, B extends ServerBuilder<R, B>>
    implements ServerBuilder<R, B> {
  private @Nullable RequestHandler<? super R> handler;
  private Concurrency concurrency = Concurrency.virtualThreads();
  private @Nullable ErrorHandler<? super R> errorHandler;
  private @Nullable Predicate<? super R> filter;
  private Runnable timeoutHook = AbstractServerBuilder::nothing;
  private @Nullable Runnable serviceAction;
  private Duration serviceInterval = Duration.ofMillis(500);
  private Duration drainTimeout = Duration.ofSeconds(30);

  /** Creates a builder with the defaults. */
  protected AbstractServerBuilder() {}

  @Override
  public final B handler(RequestHandler<? super R> requestHandler) {
    this.handler = Objects.requireNonNull(requestHandler, "handler");
    return self();
  }

  @Override
  public final B concurrency(Concurrency policy) {
    this.concurrency = Objects.requireNonNull(policy, "concurrency");
    return self();
  }

  @Override
  public final B errorHandler(ErrorHandler<? super R> onError) {
    this.errorHandler = Objects.requireNonNull(onError, "errorHandler");
    return self();
  }

  @Override
  public final B filter(Predicate<? super R> accept) {
    this.filter = Objects.requireNonNull(accept, "filter");
    return self();
  }

  @Override
  public final B onTimeout(Runnable hook) {
    this.timeoutHook = Objects.requireNonNull(hook, "onTimeout");
    return self();
  }

  @Override
  public final B serviceAction(Duration interval, Runnable action) {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("service interval must be positive: " + interval);
    }
    this.serviceInterval = interval;
    this.serviceAction = Objects.requireNonNull(action, "action");
    return self();
  }

  @Override
  public final B drainTimeout(Duration timeout) {
    this.drainTimeout = requireTimeout("drainTimeout", timeout);
    return self();
  }

  /**
   * Returns whether this transport serves {@link Concurrency#processes(int)}, whose workers share
   * one address with SO_REUSEPORT; false unless a transport overrides it.
   */
  protected boolean sharesAddressAcrossProcesses() {
    return false;
  }

  /** Whether requests are served under virtual threads, in this process or in each worker. */
  final boolean servesOnVirtualThreads() {
    Concurrency c = concurrency instanceof Concurrency.Processes p ? p.perWorker() : concurrency;
    return c instanceof Concurrency.VirtualThreads;
  }

  /** Returns the handler set so far, null if none yet. */
  final @Nullable RequestHandler<? super R> handlerOrNull() {
    return handler;
  }

  /**
   * Returns the settings collected so far: what {@link #build()} hands to
   * {@link dev.socketserver.spi.factory.ServerFactory} with its acceptor.
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
    if (concurrency instanceof Concurrency.Processes && !sharesAddressAcrossProcesses()) {
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

  /**
   * Returns {@code timeout} if it is a valid timeout (zero meaning none).
   *
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  static Duration requireTimeout(String what, Duration timeout) {
    Objects.requireNonNull(timeout, what);
    if (timeout.isNegative()) {
      throw new IllegalArgumentException(what + " < 0: " + timeout);
    }
    return timeout;
  }

  private static void nothing() {}

  @SuppressWarnings("unchecked") // B is this builder's own type by the class's contract
  private B self() {
    return (B) this;
  }
}
