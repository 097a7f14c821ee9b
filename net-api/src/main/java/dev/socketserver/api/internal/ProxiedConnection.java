package dev.socketserver.api.internal;

import dev.socketserver.api.Connection;
import dev.socketserver.api.Framing;
import dev.socketserver.api.ProxyHeader;
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
 * A connection that came through a proxy speaking the PROXY protocol: the connection underneath
 * (plain or TLS) with the original client as its remote address and the header as
 * {@link #proxy()}. Thread-safety as the connection underneath.
 */
final class ProxiedConnection implements Connection {
  private final Connection inner;
  private final ChannelConnection raw;
  private final ProxyHeader header;
  private final SocketAddress remote;

  ProxiedConnection(Connection inner, ChannelConnection raw, ProxyHeader header) {
    this.inner = inner;
    this.raw = raw;
    this.header = header;
    this.remote = header.source().<SocketAddress>map(a -> a).orElse(inner.remoteAddress());
  }

  /** Returns the plain connection underneath. */
  ChannelConnection raw() {
    return raw;
  }

  @Override
  public Optional<ProxyHeader> proxy() {
    return Optional.of(header);
  }

  @Override
  public SocketAddress remoteAddress() {
    return remote;
  }

  @Override
  public Optional<TlsInfo> tls() {
    return inner.tls();
  }

  @Override
  public InputStream input() {
    return inner.input();
  }

  @Override
  public OutputStream output() {
    return inner.output();
  }

  @Override
  public @Nullable String readLine(int maxBytes) throws IOException {
    return inner.readLine(maxBytes);
  }

  @Override
  public byte @Nullable [] readFrame(Framing framing) throws IOException {
    return inner.readFrame(framing);
  }

  @Override
  public void writeFrame(Framing framing, byte[] frame) throws IOException {
    inner.writeFrame(framing, frame);
  }

  @Override
  public SocketAddress localAddress() {
    return inner.localAddress();
  }

  @Override
  public Duration readTimeout() {
    return inner.readTimeout();
  }

  @Override
  public void readTimeout(Duration timeout) {
    inner.readTimeout(timeout);
  }

  @Override
  public Duration writeTimeout() {
    return inner.writeTimeout();
  }

  @Override
  public void writeTimeout(Duration timeout) {
    inner.writeTimeout(timeout);
  }

  @Override
  public <T> T option(SocketOption<T> name) throws IOException {
    return inner.option(name);
  }

  @Override
  public <T> void option(SocketOption<T> name, T value) throws IOException {
    inner.option(name, value);
  }

  @Override
  public void shutdownOutput() throws IOException {
    inner.shutdownOutput();
  }

  @Override
  public boolean isOpen() {
    return inner.isOpen();
  }

  @Override
  public void close() throws IOException {
    inner.close();
  }

  @Override
  public String toString() {
    return "Connection[" + remote + " via " + header.proxy() + "]";
  }
}
