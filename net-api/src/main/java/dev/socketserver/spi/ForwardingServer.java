package dev.socketserver.spi;

import dev.socketserver.api.DrainReport;
import dev.socketserver.api.Server;
import dev.socketserver.api.ServerListener;
import dev.socketserver.api.ServerMetrics;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * A {@link Server} that forwards every method to the server it wraps: the base of a
 * transport's own server type, which adds the operations only that transport has (UDP's
 * multicast groups) or narrows a return type ({@code localAddress()} as an
 * {@code InetSocketAddress}) without forwarding the lifecycle by hand.
 *
 * <p>Every method of {@link Server} is forwarded, its default methods included: a default left
 * to run on the wrapper would work on the wrapper instead of the server (a {@code drain} called
 * from a handler would wait for itself). A subclass overrides only to narrow a type or to add to
 * the documentation.
 *
 * <p>Thread-safe as the server it wraps. Who closes what: closing the wrapper closes the server
 * it wraps, which owns the sockets; a second close returns at once.
 */
public abstract class ForwardingServer implements Server {
  private final Server delegate;

  /** Wraps {@code delegate}, which this server now stands for. */
  protected ForwardingServer(Server delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public SocketAddress localAddress() {
    return delegate.localAddress();
  }

  @Override
  public State state() {
    return delegate.state();
  }

  @Override
  public ServerMetrics metrics() {
    return delegate.metrics();
  }

  @Override
  public void addListener(ServerListener listener) {
    delegate.addListener(listener);
  }

  @Override
  public void serveForever() {
    delegate.serveForever();
  }

  /** Starts the server it wraps and returns this server. */
  @Override
  public Server start() {
    delegate.start();
    return this;
  }

  @Override
  public boolean handleRequest(Duration timeout) {
    return delegate.handleRequest(timeout);
  }

  @Override
  public void shutdown() {
    delegate.shutdown();
  }

  @Override
  public void shutdownNow() {
    delegate.shutdownNow();
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return delegate.awaitTermination(timeout);
  }

  @Override
  public DrainReport drain(Duration timeout) throws InterruptedException {
    return delegate.drain(timeout);
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public String toString() {
    return delegate.toString();
  }
}
