package dev.socketserver.engine.proxy;

import dev.socketserver.engine.stream.ChannelConnection;
import dev.socketserver.engine.stream.ForwardingConnection;

import dev.socketserver.api.Connection;
import dev.socketserver.api.ProxyHeader;
import java.net.SocketAddress;
import java.util.Optional;

/**
 * A connection that came through a proxy speaking the PROXY protocol: the connection underneath
 * (plain or TLS) with the original client as its remote address and the header as
 * {@link #proxy()}. Thread-safety as the connection underneath.
 */
public final class ProxiedConnection extends ForwardingConnection {
  private final ChannelConnection raw;
  private final ProxyHeader header;
  private final SocketAddress remote;

  public ProxiedConnection(Connection inner, ChannelConnection raw, ProxyHeader header) {
    super(inner);
    this.raw = raw;
    this.header = header;
    this.remote = header.source().<SocketAddress>map(a -> a).orElse(inner.remoteAddress());
  }

  @Override
  public ChannelConnection raw() {
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
  public String toString() {
    return "Connection[" + remote + " via " + header.proxy() + "]";
  }
}
