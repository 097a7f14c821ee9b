package dev.socketserver.engine.stream;

import dev.socketserver.engine.proxy.ProxiedConnection;
import dev.socketserver.engine.tls.TlsConnection;

import dev.socketserver.api.Connection;
import dev.socketserver.api.Framing;
import dev.socketserver.api.ProxyHeader;
import dev.socketserver.api.Server;
import dev.socketserver.api.TlsInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A connection that forwards every call to the connection it wraps: the base of the layers the
 * stream core puts over a {@link ChannelConnection} ({@link TlsConnection},
 * {@link ProxiedConnection}), which override what they change. {@code writeFrame} is not
 * forwarded: it writes to this connection's own {@link #output()}. Thread-safety as the
 * connection underneath.
 */
public abstract class ForwardingConnection implements Connection {
  /** The connection underneath. */
  protected final Connection delegate;

  public ForwardingConnection(Connection delegate) {
    this.delegate = delegate;
  }

  /** Returns the plain connection at the bottom of the layers. */
  public abstract ChannelConnection raw();

  @Override
  public Optional<ProxyHeader> proxy() {
    return delegate.proxy();
  }

  @Override
  public Optional<TlsInfo> tls() {
    return delegate.tls();
  }

  @Override
  public SocketAddress remoteAddress() {
    return delegate.remoteAddress();
  }

  @Override
  public Server server() {
    return delegate.server();
  }

  @Override
  public boolean draining() {
    return delegate.draining();
  }

  @Override
  public InputStream input() {
    return delegate.input();
  }

  @Override
  public OutputStream output() {
    return delegate.output();
  }

  @Override
  public @Nullable String readLine(int maxBytes) throws IOException {
    return delegate.readLine(maxBytes);
  }

  @Override
  public byte @Nullable [] readFrame(Framing framing) throws IOException {
    return delegate.readFrame(framing);
  }

  @Override
  public SocketAddress localAddress() {
    return delegate.localAddress();
  }

  @Override
  public Duration readTimeout() {
    return delegate.readTimeout();
  }

  @Override
  public void readTimeout(Duration timeout) {
    delegate.readTimeout(timeout);
  }

  @Override
  public Duration writeTimeout() {
    return delegate.writeTimeout();
  }

  @Override
  public void writeTimeout(Duration timeout) {
    delegate.writeTimeout(timeout);
  }

  @Override
  public <T> T option(SocketOption<T> name) throws IOException {
    return delegate.option(name);
  }

  @Override
  public <T> void option(SocketOption<T> name, T value) throws IOException {
    delegate.option(name, value);
  }

  @Override
  public void shutdownOutput() throws IOException {
    delegate.shutdownOutput();
  }

  @Override
  public boolean isOpen() {
    return delegate.isOpen();
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }


  /**
   * Returns a view of {@code raw} whose reads go through {@code bounded} (see {@link
   * ChannelConnection#readingWithin}); everything else goes to {@code raw}.
   */
  static Connection readingWithin(ChannelConnection raw, SourceInput bounded) {
    Frames boundedFrames = new Frames(bounded);
    return new ForwardingConnection(raw) {
      @Override
      public ChannelConnection raw() {
        return raw;
      }

      @Override
      public SourceInput input() {
        return bounded;
      }

      @Override
      public @Nullable String readLine(int maxBytes) throws IOException {
        return boundedFrames.readLine(maxBytes);
      }

      @Override
      public byte @Nullable [] readFrame(Framing framing) throws IOException {
        return boundedFrames.readFrame(framing);
      }
    };
  }
}
