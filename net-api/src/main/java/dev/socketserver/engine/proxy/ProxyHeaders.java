package dev.socketserver.engine.proxy;

import dev.socketserver.api.Connection;
import dev.socketserver.api.CorruptFrameException;
import dev.socketserver.api.FrameException;
import dev.socketserver.api.FrameTooLongException;
import dev.socketserver.api.Framing;
import dev.socketserver.api.ProxyHeader;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;

/**
 * Reads HAProxy PROXY protocol headers (versions 1 and 2) off a connection, consuming exactly the
 * header's bytes, with the framing machinery: version 1 is a {@link Framing#strictLines} line,
 * version 2 a {@link Framing#lengthFieldBuilder} frame whose 2-byte length sits 14 bytes in.
 *
 * {@snippet lang=text :
 * v1: | "PROXY TCP4 192.0.2.1 192.0.2.2 56324 443" CR LF |   at most 107 bytes, CRLF only
 * v2: | 0D 0A 0D 0A 00 0D 0A 51 55 49 54 0A | 21 | 11 | 00 0C | src dst sport dport | TLVs |
 *       signature (12)                       ver fam  length  address block (12 or 36)
 * }
 *
 * <p>Strict: v1 accepts only single spaces, canonical decimal ports and literal addresses of
 * the named family; v2 only version 2, commands LOCAL and PROXY, known families, stream or
 * unspecified transport, an address block that fits the length, TLVs that fill the rest
 * exactly, and a correct CRC32C if one is sent. Anything else is a {@link FrameException}; a
 * v2 header longer than {@link #V2_MAX_BODY} bytes after its 16-byte prefix is a
 * {@link FrameTooLongException}, detected before reading it. Stateless and thread-safe.
 */
public final class ProxyHeaders {
  /** The longest v1 header, CRLF included. */
  public static final int V1_MAX = 107;
  /** The longest v2 address block and TLVs accepted. */
  public static final int V2_MAX_BODY = 4096;

  private static final byte[] V2_SIGNATURE = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
  };
  // After the first byte, which tells the versions apart: 'P' or 0x0D.
  private static final Framing V1_REST = Framing.strictLines(V1_MAX - 3);
  private static final Framing V2_REST =
      Framing.lengthFieldBuilder(2, V2_MAX_BODY).offset(V2_SIGNATURE.length + 1).strip(0).build();
  private static final Pattern IPV4 =
      Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");
  private static final Pattern PORT = Pattern.compile("0|[1-9]\\d{0,4}");
  private static final int TLV_CRC32C = 0x03;

  private ProxyHeaders() {}

  /**
   * Reads one header from the start of {@code c}, consuming its bytes and no more.
   *
   * @param proxy the peer that sent it, recorded in the header
   * @throws FrameException if the input is not a well-formed header, is too long or ends early
   * @throws IOException if reading fails (a timeout, a reset)
   */
  public static ProxyHeader read(Connection c, SocketAddress proxy) throws IOException {
    int first = c.input().read();
    if (first < 0) {
      throw new FrameException("PROXY header expected, the connection ended first");
    }
    try {
      if (first == 'P') {
        byte[] rest = c.readFrame(V1_REST);
        if (rest == null) {
          throw new FrameException("PROXY v1 header truncated");
        }
        return parseV1(rest, proxy);
      }
      if (first == V2_SIGNATURE[0]) {
        byte[] rest = c.readFrame(V2_REST);
        if (rest == null) {
          throw new FrameException("PROXY v2 header truncated");
        }
        byte[] whole = new byte[rest.length + 1];
        whole[0] = (byte) first;
        System.arraycopy(rest, 0, whole, 1, rest.length);
        return parseV2(whole, proxy);
      }
    } catch (FrameTooLongException e) {
      throw new FrameTooLongException("PROXY header", e.size(), false, e.limit());
    } catch (FrameException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("PROXY")) {
        throw e;
      }
      FrameException better = new CorruptFrameException("PROXY header malformed: " + e.getMessage());
      better.initCause(e);
      throw better;
    }
    throw new CorruptFrameException(
        "PROXY header expected, got first byte 0x" + HexFormat.of().toHexDigits((byte) first));
  }

  /** Parses a v1 line after its leading 'P', without its CRLF. */
  private static ProxyHeader parseV1(byte[] rest, SocketAddress proxy) throws FrameException {
    for (byte b : rest) {
      if (b < 0x20 || b > 0x7e) {
        throw new CorruptFrameException("PROXY v1 header holds a non-printable byte");
      }
    }
    String line = "P" + new String(rest, StandardCharsets.US_ASCII);
    String[] f = line.split(" ", -1);
    if (!f[0].equals("PROXY") || f.length < 2) {
      throw new CorruptFrameException("PROXY v1 header malformed: " + line);
    }
    if (f[1].equals("UNKNOWN")) {
      return new ProxyHeader(1, null, null, proxy, List.of());
    }
    boolean v4 = f[1].equals("TCP4");
    if (!(v4 || f[1].equals("TCP6")) || f.length != 6) {
      throw new CorruptFrameException("PROXY v1 header malformed: " + line);
    }
    InetAddress src = v1Address(f[2], v4, line);
    InetAddress dst = v1Address(f[3], v4, line);
    return new ProxyHeader(
        1,
        new InetSocketAddress(src, v1Port(f[4], line)),
        new InetSocketAddress(dst, v1Port(f[5], line)),
        proxy,
        List.of());
  }

  private static InetAddress v1Address(String s, boolean v4, String line) throws FrameException {
    if (!(v4 ? IPV4 : IPV6).matcher(s).matches()) {
      throw new CorruptFrameException("PROXY v1 header: bad " + (v4 ? "IPv4" : "IPv6") + " address in " + line);
    }
    try {
      return InetAddress.ofLiteral(s);
    } catch (IllegalArgumentException e) {
      throw new CorruptFrameException("PROXY v1 header: bad address in " + line);
    }
  }

  private static int v1Port(String s, String line) throws FrameException {
    int port = PORT.matcher(s).matches() ? Integer.parseInt(s) : -1;
    if (port < 0 || port > 0xFFFF) {
      throw new CorruptFrameException("PROXY v1 header: bad port in " + line);
    }
    return port;
  }

  /** Parses a whole v2 header; the framing guarantees its length field matches its size. */
  private static ProxyHeader parseV2(byte[] h, SocketAddress proxy) throws FrameException {
    if (!Arrays.equals(h, 0, V2_SIGNATURE.length, V2_SIGNATURE, 0, V2_SIGNATURE.length)) {
      throw new CorruptFrameException("PROXY v2 header: bad signature");
    }
    int verCmd = h[12] & 0xff;
    int famProto = h[13] & 0xff;
    if (verCmd >> 4 != 2 || (verCmd & 0xf) > 1) {
      throw new CorruptFrameException("PROXY v2 header: bad version/command 0x" + Integer.toHexString(verCmd));
    }
    int family = famProto >> 4;
    // The spec's only stream values: UNSPEC, TCP over IPv4, TCP over IPv6, UNIX stream.
    // "Receivers must drop connections presenting unexpected values here."
    if (famProto != 0x00 && famProto != 0x11 && famProto != 0x21 && famProto != 0x31) {
      throw new CorruptFrameException(
          "PROXY v2 header: family/protocol 0x" + Integer.toHexString(famProto) + " is not a stream");
    }
    int addressLength = switch (family) {
      case 1 -> 12;
      case 2 -> 36;
      case 3 -> 216;
      default -> 0;
    };
    ByteBuffer b = ByteBuffer.wrap(h, 16, h.length - 16);
    if (b.remaining() < addressLength) {
      throw new CorruptFrameException("PROXY v2 header: address block needs " + addressLength
          + " bytes, the header has " + b.remaining());
    }
    @Nullable InetSocketAddress src = null;
    @Nullable InetSocketAddress dst = null;
    boolean local = (verCmd & 0xf) == 0;
    if (family == 1 || family == 2) {
      byte[] s = new byte[addressLength == 12 ? 4 : 16];
      byte[] d = new byte[s.length];
      b.get(s).get(d);
      int sport = b.getShort() & 0xFFFF;
      int dport = b.getShort() & 0xFFFF;
      if (!local) {
        src = new InetSocketAddress(address(s), sport);
        dst = new InetSocketAddress(address(d), dport);
      }
    } else {
      b.position(b.position() + addressLength);
    }
    List<ProxyHeader.Tlv> tlvs = new ArrayList<>();
    while (b.hasRemaining()) {
      if (b.remaining() < 3) {
        throw new CorruptFrameException("PROXY v2 header: truncated TLV");
      }
      int type = b.get() & 0xff;
      int length = b.getShort() & 0xFFFF;
      if (length > b.remaining()) {
        throw new CorruptFrameException("PROXY v2 header: TLV 0x" + Integer.toHexString(type)
            + " of " + length + " bytes overruns the header");
      }
      byte[] value = new byte[length];
      int at = b.position();
      b.get(value);
      if (type == TLV_CRC32C) {
        checkCrc(h, at, value);
      }
      tlvs.add(new ProxyHeader.Tlv(type, value));
    }
    return new ProxyHeader(2, src, dst, proxy, tlvs);
  }

  private static void checkCrc(byte[] h, int at, byte[] value) throws FrameException {
    if (value.length != 4) {
      throw new CorruptFrameException("PROXY v2 header: CRC32C TLV of " + value.length + " bytes");
    }
    byte[] zeroed = h.clone();
    Arrays.fill(zeroed, at, at + 4, (byte) 0);
    CRC32C crc = new CRC32C();
    crc.update(zeroed);
    if ((int) crc.getValue() != ByteBuffer.wrap(value).getInt()) {
      throw new CorruptFrameException("PROXY v2 header: CRC32C mismatch");
    }
  }

  private static InetAddress address(byte[] raw) {
    try {
      // An IPv6 address stays one even if it is IPv4-mapped.
      return raw.length == 16 ? Inet6Address.getByAddress(null, raw, -1) : InetAddress.getByAddress(raw);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("4 or 16 bytes are always an address", e);
    }
  }
}
