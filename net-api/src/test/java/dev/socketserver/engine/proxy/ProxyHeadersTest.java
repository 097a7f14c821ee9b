package dev.socketserver.engine.proxy;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.socketserver.api.Connection;
import dev.socketserver.api.FrameException;
import dev.socketserver.api.FrameTooLongException;
import dev.socketserver.api.ProxyHeader;
import dev.socketserver.api.testing.Allocations;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quicktheories.core.Gen;

/**
 * The PROXY protocol parser on bytes, no sockets: examples from the spec, and properties that it
 * never accepts a malformed header and never throws anything but a {@link FrameException}.
 */
@Timeout(60)
class ProxyHeadersTest {
  private static final SocketAddress PROXY = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);
  private static final byte[] SIG = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

  /** A connection over bytes, enough for the parser: input and the default readFrame. */
  private static final class Bytes implements Connection {
    final ByteArrayInputStream in;

    Bytes(byte[] data) {
      in = new ByteArrayInputStream(data);
    }

    @Override public InputStream input() { return in; }
    @Override public OutputStream output() { return OutputStream.nullOutputStream(); }
    @Override public String readLine(int maxBytes) { throw new UnsupportedOperationException(); }
    @Override public SocketAddress remoteAddress() { return PROXY; }
    @Override public SocketAddress localAddress() { return PROXY; }
    @Override public Duration readTimeout() { return Duration.ZERO; }
    @Override public void readTimeout(Duration timeout) {}
    @Override public Duration writeTimeout() { return Duration.ZERO; }
    @Override public void writeTimeout(Duration timeout) {}
    @Override public <T> T option(SocketOption<T> name) { throw new UnsupportedOperationException(); }
    @Override public <T> void option(SocketOption<T> name, T value) {}
    @Override public void shutdownOutput() {}
    @Override public boolean isOpen() { return true; }
    @Override public void close() {}
  }

  /** What one parse did: the header or the exception, and how many bytes it consumed. */
  @SuppressWarnings("ArrayRecordComponent") // a test's value holder, never compared
  private record Outcome(ProxyHeader header, Throwable error, byte[] consumed) {}

  private static Outcome parse(byte[] data) {
    Bytes c = new Bytes(data);
    ProxyHeader h = null;
    Throwable error = null;
    try {
      h = ProxyHeaders.read(c, PROXY);
    } catch (Throwable t) {
      error = t;
    }
    return new Outcome(h, error, Arrays.copyOf(data, data.length - c.in.available()));
  }

  // ---- a reference encoder ----

  static byte[] v1(InetSocketAddress src, InetSocketAddress dst) {
    String family = src.getAddress() instanceof Inet4Address ? "TCP4" : "TCP6";
    return ("PROXY " + family + " " + src.getAddress().getHostAddress() + " " + dst.getAddress().getHostAddress()
        + " " + src.getPort() + " " + dst.getPort() + "\r\n").getBytes(US_ASCII);
  }

  static byte[] v2(InetSocketAddress src, InetSocketAddress dst, List<ProxyHeader.Tlv> tlvs, boolean crc) {
    boolean v4 = src.getAddress() instanceof Inet4Address;
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(src.getAddress().getAddress());
    body.writeBytes(dst.getAddress().getAddress());
    body.writeBytes(ByteBuffer.allocate(4).putShort((short) src.getPort()).putShort((short) dst.getPort()).array());
    for (ProxyHeader.Tlv t : tlvs) {
      body.write(t.type());
      body.writeBytes(ByteBuffer.allocate(2).putShort((short) t.value().length).array());
      body.writeBytes(t.value());
    }
    int crcAt = -1;
    if (crc) {
      crcAt = 16 + body.size() + 3;
      body.writeBytes(new byte[] {0x03, 0, 4, 0, 0, 0, 0});
    }
    ByteBuffer h = ByteBuffer.allocate(16 + body.size());
    h.put(SIG).put((byte) 0x21).put((byte) (v4 ? 0x11 : 0x21)).putShort((short) body.size()).put(body.toByteArray());
    byte[] bytes = h.array();
    if (crc) {
      CRC32C c = new CRC32C();
      c.update(bytes);
      ByteBuffer.wrap(bytes, crcAt, 4).putInt((int) c.getValue());
    }
    return bytes;
  }

  /** Re-encodes a parsed header with an address the way the reference encoder would. */
  private static byte[] reencode(ProxyHeader h) {
    InetSocketAddress src = h.source().orElseThrow();
    InetSocketAddress dst = h.destination().orElseThrow();
    return h.version() == 1 ? v1(src, dst) : v2(src, dst, h.tlvs(), false);
  }

  // ---- examples ----

  @Test
  void readsAVersionOneHeaderAndNotOneByteMore() throws Exception {
    Bytes c = new Bytes("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\nGET /".getBytes(US_ASCII));
    ProxyHeader h = ProxyHeaders.read(c, PROXY);
    assertEquals(new InetSocketAddress("192.0.2.1", 56324), h.source().orElseThrow());
    assertEquals(new InetSocketAddress("198.51.100.2", 443), h.destination().orElseThrow());
    assertEquals(PROXY, h.proxy());
    assertEquals("GET /", new String(c.in.readAllBytes(), US_ASCII));
  }

  @Test
  void readsVersionOneUnknownAsAHeaderWithoutClient() throws Exception {
    ProxyHeader h = ProxyHeaders.read(new Bytes("PROXY UNKNOWN\r\n".getBytes(US_ASCII)), PROXY);
    assertTrue(h.source().isEmpty());
  }

  @Test
  void readsAVersionTwoHeaderWithTlvsAndAChecksum() throws Exception {
    InetSocketAddress src = new InetSocketAddress("2001:db8::1", 1234);
    InetSocketAddress dst = new InetSocketAddress("2001:db8::2", 443);
    byte[] bytes = v2(src, dst, List.of(new ProxyHeader.Tlv(0x05, "id-1".getBytes(US_ASCII))), true);
    ProxyHeader h = ProxyHeaders.read(new Bytes(bytes), PROXY);
    assertEquals(src, h.source().orElseThrow());
    assertEquals(2, h.version());
    assertArrayEquals("id-1".getBytes(US_ASCII), h.tlv(0x05).orElseThrow().value());
    bytes[bytes.length - 1] ^= 1; // the checksum
    assertThrows(FrameException.class, () -> ProxyHeaders.read(new Bytes(bytes), PROXY));
  }

  @Test
  void rejectsWhatIsNotAHeaderWithAClearMessage() {
    for (String bad : List.of("GET / HTTP/1.1\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n", "PROXY TCP4 ::1 5.6.7.8 1 2\r\n", "PROXY TCP6 localhost ::1 1 2\r\n",
        "PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "")) {
      FrameException e = assertThrows(FrameException.class, () -> ProxyHeaders.read(new Bytes(bad.getBytes(US_ASCII)), PROXY), bad);
      assertTrue(e.getMessage().contains("PROXY"), e.getMessage());
    }
  }

  @Test
  void anOversizedHeaderFailsBeforeItIsRead() {
    byte[] v1 = ("PROXY UNKNOWN " + "x".repeat(200) + "\r\n").getBytes(US_ASCII);
    assertInstanceOf(FrameTooLongException.class, parse(v1).error());
    ByteBuffer v2 = ByteBuffer.allocate(16).put(SIG).put((byte) 0x21).put((byte) 0x11).putShort((short) 0xFFFF);
    Outcome o = parse(v2.array());
    assertInstanceOf(FrameTooLongException.class, o.error());
  }

  // ---- properties ----

  private static Gen<InetSocketAddress> addresses() {
    return integers().all().zip(integers().between(0, 65535), integers().between(0, 1), (seed, port, six) -> {
      byte[] a = new byte[six == 1 ? 16 : 4];
      new Random(seed).nextBytes(a);
      try {
        return new InetSocketAddress(six == 1 ? Inet6Address.getByAddress(null, a, -1) : InetAddress.getByAddress(a), port);
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    });
  }

  private static Gen<byte[]> validHeaders() {
    return addresses().zip(addresses(), integers().between(0, 3), integers().all(), (src, dst, kind, seed) -> {
      InetSocketAddress d = (src.getAddress() instanceof Inet4Address) == (dst.getAddress() instanceof Inet4Address)
          ? dst : new InetSocketAddress(src.getAddress(), dst.getPort());
      if (kind == 0) {
        return v1(src, d);
      }
      Random r = new Random(seed);
      List<ProxyHeader.Tlv> tlvs = new ArrayList<>();
      for (int i = r.nextInt(3); i > 0; i--) {
        byte[] v = new byte[r.nextInt(20)];
        r.nextBytes(v);
        tlvs.add(new ProxyHeader.Tlv(0x04 + r.nextInt(0xF0), v)); // never 0x03, the checksum
      }
      return v2(src, d, tlvs, kind == 3);
    });
  }

  /** Accepted means: a header the reference encoder writes the same, or one without a client. */
  private static void checkAcceptedIsWellFormed(Outcome o) {
    if (o.error() != null) {
      assertInstanceOf(FrameException.class, o.error(), () -> "not a FrameException: " + o.error());
      return;
    }
    ProxyHeader h = o.header();
    if (h.source().isPresent()) {
      byte[] expected = reencode(h);
      if (h.tlv(0x03).isPresent()) {
        // re-encoded with the checksum TLV as a plain TLV: the checksum was verified already
        expected = v2(h.source().get(), h.destination().get(), h.tlvs(), false);
      }
      assertArrayEquals(expected, o.consumed(), () -> "accepted " + h + " from " + Arrays.toString(o.consumed()));
    } else {
      byte[] c = o.consumed();
      boolean unknown = new String(c, US_ASCII).startsWith("PROXY UNKNOWN");
      boolean local = c.length >= 16 && ((c[12] & 0xf) == 0 || c[13] == 0x00 || c[13] == 0x31);
      assertTrue(unknown || local, () -> "accepted a header without a client: " + Arrays.toString(c));
    }
  }

  @Test
  void validHeadersRoundTrip() {
    qt().withExamples(500).forAll(validHeaders()).checkAssert(bytes -> {
      Outcome o = parse(bytes);
      assertEquals(null, o.error());
      assertArrayEquals(bytes, o.consumed());
      checkAcceptedIsWellFormed(o);
    });
  }

  @Test
  void randomBytesAreRejectedWithAFrameExceptionOrAreAWellFormedHeader() {
    qt().withExamples(2000).forAll(lists().of(integers().between(0, 255)).ofSizeBetween(0, 300), integers().between(0, 2))
        .checkAssert((ints, prefix) -> {
          byte[] bytes = new byte[ints.size()];
          for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (int) ints.get(i);
          }
          // Random bytes rarely start like a header: also try them behind each version's prefix.
          if (prefix == 1 && bytes.length > 6) {
            System.arraycopy("PROXY ".getBytes(US_ASCII), 0, bytes, 0, 6);
          } else if (prefix == 2 && bytes.length > 12) {
            System.arraycopy(SIG, 0, bytes, 0, 12);
          }
          checkAcceptedIsWellFormed(parse(bytes));
        });
  }

  /**
   * Hostile input of up to 70 000 bytes: a v1 prefix followed by a line that may never end, a v2
   * prefix announcing any length up to 65 535 followed by that many bytes or fewer or more, or
   * anything at all. Made from numbers (the rest drawn from {@code seed}), so that QuickTheories
   * shrinks them and prints them readably.
   */
  private record Hostile(int kind, int announced, int size, int seed) {
    static Gen<Hostile> all() {
      return integers().between(0, 2).zip(integers().between(0, 0xFFFF), integers().between(0, 70_000),
          integers().all(), Hostile::new);
    }

    byte[] bytes() {
      Random r = new Random(seed);
      return switch (kind) {
        case 0 -> { // v1: printable text, spaces, digits, and now and then a CR or LF
          byte[] b = new byte[6 + size % 400];
          byte[] alphabet = "PROXY TCP46UNKOW0123456789.:abcdef \r\n".getBytes(US_ASCII);
          for (int i = 6; i < b.length; i++) {
            b[i] = alphabet[r.nextInt(alphabet.length)];
          }
          System.arraycopy("PROXY ".getBytes(US_ASCII), 0, b, 0, 6);
          yield b;
        }
        case 1 -> { // v2: a signature, any version/command and family, any announced length
          byte[] b = new byte[16 + size];
          r.nextBytes(b);
          ByteBuffer.wrap(b).put(SIG).put((byte) (0x20 | r.nextInt(3))).put((byte) (r.nextInt(4) << 4 | 1))
              .putShort((short) announced);
          yield b;
        }
        default -> {
          byte[] b = new byte[size % 300];
          r.nextBytes(b);
          yield b;
        }
      };
    }
  }

  /**
   * Whatever hostile input it gets, the parser reads no more than the longest header it accepts
   * (107 bytes for v1, 16 + {@link ProxyHeaders#V2_MAX_BODY} for v2), fails a v2 header that
   * announces more right after its 16-byte prefix, throws only {@link FrameException}s, and
   * never allocates more than a few copies of the longest header: never what a length field
   * claims (65 535 bytes) past the limit. Allocation is measured with the JVM's per-thread
   * counter on a second parse of the same input, as {@code FramingPropertiesTest} does for the
   * decoders. On failure QuickTheories prints the falsifying input and its seed; replay with
   * {@code -DQT_SEED=<seed>}.
   */
  @Test
  void hostileInputNeverMakesTheParserReadOrAllocatePastItsLimit() {
    Allocations.assumeCounted();
    int v2Max = 16 + ProxyHeaders.V2_MAX_BODY;
    // The header read, its copy with the first byte, a zeroed copy for the checksum, the TLV
    // values, the list and header objects; then an exception and its stack trace.
    long budget = 4L * v2Max + 8 * 1024;
    qt().withExamples(1000).forAll(Hostile.all()).checkAssert(hostile -> {
      byte[] bytes = hostile.bytes();
      parse(bytes); // warm-up: code run for the first time allocates, which is no parser's doing
      Bytes c = new Bytes(bytes);
      Throwable error = null;
      long before = Allocations.byThisThread();
      try {
        ProxyHeaders.read(c, PROXY);
      } catch (Throwable t) {
        error = t;
      }
      long allocated = Allocations.byThisThread() - before;
      int consumed = bytes.length - c.in.available();
      Throwable e = error;
      if (e != null) {
        assertInstanceOf(FrameException.class, e, () -> "not a FrameException: " + e);
      }
      assertTrue(consumed <= (bytes.length > 0 && bytes[0] == 'P' ? ProxyHeaders.V1_MAX : v2Max), () -> "read " + consumed + " bytes");
      boolean v2 = bytes.length >= 16 && Arrays.equals(bytes, 0, 12, SIG, 0, 12);
      if (v2 && (ByteBuffer.wrap(bytes, 14, 2).getShort() & 0xFFFF) > ProxyHeaders.V2_MAX_BODY) {
        assertInstanceOf(FrameTooLongException.class, e);
        assertEquals(16, consumed, "failed right after the prefix");
      }
      assertTrue(allocated <= budget, () -> "allocated " + allocated + " bytes, budget " + budget
          + ", reading " + consumed + " of " + bytes.length + " bytes");
    });
  }

  @Test
  void aValidHeaderWithOneByteChangedIsRejectedOrStillWellFormed() {
    qt().withExamples(2000).forAll(validHeaders(), integers().all(), integers().between(0, 255))
        .checkAssert((bytes, at, value) -> {
          byte[] mutated = bytes.clone();
          mutated[Math.floorMod(at, mutated.length)] = (byte) (int) value;
          if (mutated[0] == 'P' && !new String(mutated, US_ASCII).startsWith("PROXY TCP4")) {
            return; // v1 with IPv6 text: a changed character can make another valid spelling
          }
          checkAcceptedIsWellFormed(parse(mutated));
        });
  }
}
