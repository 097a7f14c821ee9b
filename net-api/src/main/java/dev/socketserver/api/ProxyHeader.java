package dev.socketserver.api;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The PROXY protocol header a trusted proxy sent before the client's bytes: who the client
 * really is, whom it connected to, and the proxy's extra information (version 2 TLVs).
 * Returned by {@link Connection#proxy()}; the connection's {@code remoteAddress()} is then the
 * original client.
 *
 * <p>Immutable and thread-safe.
 */
public final class ProxyHeader {

  /**
   * One version 2 type-length-value field, for example {@code 0x01} (ALPN), {@code 0x02}
   * (authority), {@code 0x05} (unique id), {@code 0x20} (SSL). Immutable.
   */
  public static final class Tlv {
    private final int type;
    private final byte[] value;

    /** Creates a field of {@code type} (0..255) holding a copy of {@code value}. */
    public Tlv(int type, byte[] value) {
      if (type < 0 || type > 0xff) {
        throw new IllegalArgumentException("TLV type out of 0..255: " + type);
      }
      this.type = type;
      this.value = value.clone();
    }

    /** Returns the type, 0..255. */
    public int type() {
      return type;
    }

    /** Returns a copy of the value. */
    public byte[] value() {
      return value.clone();
    }

    @Override
    public String toString() {
      return "Tlv[0x" + Integer.toHexString(type) + ", " + value.length + " bytes]";
    }
  }

  private final int version;
  private final @Nullable InetSocketAddress source;
  private final @Nullable InetSocketAddress destination;
  private final SocketAddress proxy;
  private final List<Tlv> tlvs;

  /**
   * Creates a header; transports do, after parsing one.
   *
   * @param source the original client, or null for a LOCAL or UNKNOWN header (a proxy's own
   *     health check), where the connection keeps the proxy's address
   * @param destination the address the client connected to, null when {@code source} is
   * @param proxy the address of the proxy that sent the header
   */
  public ProxyHeader(
      int version,
      @Nullable InetSocketAddress source,
      @Nullable InetSocketAddress destination,
      SocketAddress proxy,
      List<Tlv> tlvs) {
    this.version = version;
    this.source = source;
    this.destination = destination;
    this.proxy = proxy;
    this.tlvs = List.copyOf(tlvs);
  }

  /** Returns the protocol version the proxy spoke: 1 (text) or 2 (binary). */
  public int version() {
    return version;
  }

  /** Returns the original client; empty for a LOCAL or UNKNOWN header. */
  public Optional<InetSocketAddress> source() {
    return Optional.ofNullable(source);
  }

  /** Returns the address the original client connected to; empty when {@link #source()} is. */
  public Optional<InetSocketAddress> destination() {
    return Optional.ofNullable(destination);
  }

  /** Returns the address of the proxy itself: the peer of the TCP connection. */
  public SocketAddress proxy() {
    return proxy;
  }

  /** Returns the version 2 TLVs in the order they came; empty for version 1. */
  public List<Tlv> tlvs() {
    return tlvs;
  }

  /** Returns the first TLV of {@code type}, if any. */
  public Optional<Tlv> tlv(int type) {
    return tlvs.stream().filter(t -> t.type() == type).findFirst();
  }

  @Override
  public String toString() {
    return "ProxyHeader[v" + version + ", " + (source == null ? "LOCAL" : source + " -> " + destination)
        + " via " + proxy + ", " + tlvs.size() + " TLV(s)]";
  }
}
