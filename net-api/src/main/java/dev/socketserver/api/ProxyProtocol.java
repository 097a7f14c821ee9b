package dev.socketserver.api;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * HAProxy's PROXY protocol (versions 1 and 2) on a stream server: which peers are trusted to send
 * the header that carries the original client's address, and how long they may take.
 *
 * <p>Security: every connection from a trusted source must start with a valid header, and a
 * connection from any other source is refused, so a client can never spoof its address by
 * sending a header itself. Unix-domain peers are trusted (the socket file's permissions say who
 * may connect).
 *
 * {@snippet :
 * TcpServer.builder()
 *     .bind("", 3130)
 *     .proxyProtocol(ProxyProtocol.trusting("127.0.0.1/32", "10.0.0.0/8"))
 *     .handler(c -> log.info("client {} via {}", c.remoteAddress(), c.proxy().orElseThrow().proxy()))
 *     .build();
 * }
 *
 * <p>Immutable and thread-safe.
 */
public final class ProxyProtocol {
  private final List<String> trusted;
  private final List<byte[]> networks;
  private final int[] prefixes;
  private final Duration headerTimeout;

  private ProxyProtocol(List<String> trusted, Duration headerTimeout) {
    this.trusted = List.copyOf(trusted);
    this.headerTimeout = headerTimeout;
    this.networks = new ArrayList<>();
    this.prefixes = new int[trusted.size()];
    for (int i = 0; i < trusted.size(); i++) {
      String cidr = trusted.get(i);
      int slash = cidr.indexOf('/');
      String host = slash < 0 ? cidr : cidr.substring(0, slash);
      byte[] address;
      try {
        address = InetAddress.ofLiteral(host).getAddress();
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("not an IP address or CIDR block: " + cidr, e);
      }
      int bits = address.length * 8;
      int prefix;
      try {
        prefix = slash < 0 ? bits : Integer.parseInt(cidr.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad CIDR prefix length: " + cidr, e);
      }
      if (prefix < 0 || prefix > bits) {
        throw new IllegalArgumentException("CIDR prefix length out of 0.." + bits + ": " + cidr);
      }
      networks.add(address);
      prefixes[i] = prefix;
    }
  }

  /**
   * Returns the protocol accepted from peers in {@code cidrs} only: addresses ({@code 10.0.0.7},
   * {@code ::1}) or CIDR blocks ({@code 10.0.0.0/8}, {@code fd00::/8}); a 5 s header deadline.
   *
   * @throws IllegalArgumentException if a block is malformed, or none is given
   */
  public static ProxyProtocol trusting(String... cidrs) {
    if (cidrs.length == 0) {
      throw new IllegalArgumentException("no trusted source: name the proxies' addresses");
    }
    return new ProxyProtocol(List.of(cidrs), Duration.ofSeconds(5));
  }

  /**
   * Returns this protocol with another header deadline: how long each read of the header may
   * wait before the connection is dropped.
   *
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  public ProxyProtocol headerTimeout(Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("headerTimeout must be positive: " + timeout);
    }
    return new ProxyProtocol(trusted, timeout);
  }

  /** Returns the trusted sources as given. */
  public List<String> trusted() {
    return trusted;
  }

  /** Returns the header deadline. */
  public Duration headerTimeout() {
    return headerTimeout;
  }

  /**
   * Returns whether a peer at {@code address} may send a header: an IP address in a trusted
   * block (IPv4-mapped IPv6 addresses count as IPv4), or any Unix-domain peer.
   */
  public boolean trusts(SocketAddress address) {
    Objects.requireNonNull(address, "address");
    if (!(address instanceof InetSocketAddress inet)) {
      return true;
    }
    InetAddress ip = inet.getAddress();
    if (ip == null) {
      return false;
    }
    byte[] a = ip.getAddress();
    if (a.length == 16 && isIpv4Mapped(a)) {
      a = Arrays.copyOfRange(a, 12, 16);
    }
    for (int i = 0; i < networks.size(); i++) {
      if (matches(networks.get(i), prefixes[i], a)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isIpv4Mapped(byte[] a) {
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
  }

  private static boolean matches(byte[] network, int prefix, byte[] a) {
    if (network.length != a.length) {
      return false;
    }
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (network[i] != a[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    int mask = 0xff << (8 - rest) & 0xff;
    return (network[full] & mask) == (a[full] & mask);
  }

  @Override
  public String toString() {
    return "ProxyProtocol[trusting " + trusted + ", header within " + headerTimeout + "]";
  }
}
