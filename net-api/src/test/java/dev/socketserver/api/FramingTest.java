package dev.socketserver.api;

import static dev.socketserver.api.FramingSpec.ascii;
import static dev.socketserver.api.FramingSpec.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The framings by example, and every split of a sample stream (okio's one-byte trick). */
class FramingTest {

  private static List<String> decodeAll(Framing framing, byte[] stream) throws FrameException {
    FrameDecoder decoder = framing.newDecoder();
    List<String> frames = new ArrayList<>();
    for (byte[] f : decoder.decodeAll(ByteBuffer.wrap(stream))) {
      frames.add(new String(f, StandardCharsets.ISO_8859_1));
    }
    decoder.finish();
    return frames;
  }

  @Test
  void linesAcceptLfAndCrlfAndKeepALoneCr() throws Exception {
    assertEquals(List.of("GET", "a", "b\rc", ""),
        decodeAll(Framing.lines(10), ascii("GET\na\r\nb\rc\n\r\n")));
    assertArrayEquals(ascii("hi\n"), Framing.lines(10).encode(ascii("hi")));
  }

  @Test
  void strictLinesRejectABareLfOrCr() throws Exception {
    assertEquals(List.of("a", ""), decodeAll(Framing.strictLines(10), ascii("a\r\n\r\n")));
    CorruptFrameException lf = assertThrows(CorruptFrameException.class,
        () -> decodeAll(Framing.strictLines(10), ascii("a\r\nb\nc\r\n")));
    assertTrue(lf.getMessage().startsWith("bare LF at byte 1"), lf.getMessage());
    assertThrows(CorruptFrameException.class,
        () -> decodeAll(Framing.strictLines(10), ascii("b\rc\r\n")));
    assertThrows(IllegalArgumentException.class,
        () -> Framing.strictLines(10).encode(ascii("b\nc")));
  }

  @Test
  void aRecordEndsAtTheEarliestDelimiter() throws Exception {
    Framing strip = Framing.delimited(8, ascii(";"), ascii("||"));
    assertEquals(List.of("a", "bc", "", "d|e"), decodeAll(strip, ascii("a;bc||;d|e;")));
    Framing keep = Framing.delimited(8, Framing.DelimiterPolicy.KEEP, ascii(";"), ascii("||"));
    assertEquals(List.of("a;", "bc||", ";"), decodeAll(keep, ascii("a;bc||;")));
    FrameException truncated = assertThrows(FrameException.class,
        () -> decodeAll(keep, ascii("a;d")));
    assertTrue(truncated.getMessage().startsWith("truncated record"), truncated.getMessage());
    // abc and bcd overlap without one holding the other: the earlier start wins.
    Framing overlap = Framing.delimited(8, ascii("abc"), ascii("bcd"));
    assertEquals(List.of("x", "d", ""), decodeAll(overlap, ascii("xabcdbcdabc")));
  }

  @Test
  void aKeptDelimiterRecordShorterThanADelimiterIsRefusedAsACallersBug() {
    Framing keep = Framing.delimited(8, Framing.DelimiterPolicy.KEEP, ascii("\r\n"), ascii("\n"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> keep.encode(new byte[0]));
    assertTrue(e.getMessage().contains("does not end with a delimiter"), e.getMessage());
    assertArrayEquals(ascii("\n"), keep.encode(ascii("\n")));
  }

  @Test
  void delimitersThatHoldOneAnotherAreRefused() {
    for (String[] pair : new String[][] {{"ab", "abc"}, {"b", "abc"}, {"a", "a"}, {"", "x"}}) {
      assertThrows(IllegalArgumentException.class,
          () -> Framing.delimited(8, ascii(pair[0]), ascii(pair[1])), String.join(",", pair));
    }
    Framing.delimited(8, ascii("c"), ascii("abc")); // at the end: fine, as LF with CRLF
  }

  @Test
  void anEncoderRefusesAFrameHoldingItsDelimiter() {
    Framing semi = Framing.delimited(8, ascii(";"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> semi.encode(ascii("a;b")));
    assertTrue(e.getMessage().contains("at index 1"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Framing.lines(8).encode(ascii("a\r")));
    assertThrows(IllegalArgumentException.class, () -> semi.encode(new byte[9]));
  }

  @Test
  void aLengthFieldFrameIsCutByItsHeader() throws Exception {
    byte[] wire = concat(new byte[] {0, 12}, ascii("HELLO, WORLD"));
    assertEquals(List.of("HELLO, WORLD"), decodeAll(Framing.lengthField(2, 1024), wire));
    assertArrayEquals(wire, Framing.lengthField(2, 1024).encode(ascii("HELLO, WORLD")));

    Framing magic = Framing.lengthFieldBuilder(2, 100).offset(2).lengthIncludesHeader(true)
        .strip(0).build();
    byte[] frame = concat(new byte[] {(byte) 0xCA, (byte) 0xFE, 0, 9}, ascii("HELLO"));
    assertArrayEquals(frame, magic.newDecoder().decode(ByteBuffer.wrap(frame)));
    assertArrayEquals(frame, magic.encode(frame));
    byte[] lying = frame.clone();
    lying[3] = 8;
    assertThrows(IllegalArgumentException.class, () -> magic.encode(lying));

    Framing le3 = Framing.lengthFieldBuilder(3, 1 << 20).byteOrder(ByteOrder.LITTLE_ENDIAN)
        .build();
    assertArrayEquals(new byte[] {2, 0, 0, 7, 8}, le3.encode(new byte[] {7, 8}));
  }

  @Test
  void anOversizedLengthFailsRightAfterTheHeaderWithoutBufferingTheFrame() {
    FrameDecoder decoder = Framing.lengthField(2, 1000).newDecoder();
    ByteBuffer chunk = ByteBuffer.wrap(concat(new byte[] {3, (byte) 0xE9}, new byte[50]));
    FrameTooLongException e =
        assertThrows(FrameTooLongException.class, () -> decoder.decode(chunk));
    assertEquals("frame of 1001 bytes exceeds the limit of 1000 bytes", e.getMessage());
    assertEquals(2, chunk.position());
    assertThrows(IllegalStateException.class, () -> decoder.decode(chunk));
  }

  @Test
  void aLineLongerThanTheLimitFailsWithoutBufferingIt() {
    FrameDecoder decoder = Framing.lines(100).newDecoder();
    ByteBuffer chunk = ByteBuffer.wrap(new byte[1 << 20]);
    FrameTooLongException e =
        assertThrows(FrameTooLongException.class, () -> decoder.decode(chunk));
    assertEquals("line of at least 101 bytes exceeds the limit of 100 bytes", e.getMessage());
    assertEquals(0, decoder.buffered());
  }

  @Test
  void aLengthThatCannotBeIsCorrupt() {
    Framing includes = Framing.lengthFieldBuilder(4, 100).lengthIncludesHeader(true).build();
    assertThrows(CorruptFrameException.class,
        () -> includes.newDecoder().decode(ByteBuffer.wrap(new byte[] {0, 0, 0, 3})));
    Framing adjusted = Framing.lengthFieldBuilder(1, 100).adjustment(-5).build();
    assertThrows(CorruptFrameException.class,
        () -> adjusted.newDecoder().decode(ByteBuffer.wrap(new byte[] {4})));
    Framing eight = Framing.lengthField(8, 100);
    byte[] negative = {(byte) 0x80, 0, 0, 0, 0, 0, 0, 0};
    assertThrows(CorruptFrameException.class,
        () -> eight.newDecoder().decode(ByteBuffer.wrap(negative)));
  }

  @Test
  void anEncoderRefusesALengthItsFieldCannotHold() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Framing.lengthField(2, 100_000).encode(new byte[70_000]));
    assertTrue(e.getMessage().contains("does not fit the 2-byte field"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Framing.lengthFieldBuilder(2, 10).offset(1).build().encode(new byte[1]));
    assertThrows(IllegalArgumentException.class, () -> Framing.fixedLength(3).encode(new byte[2]));
  }

  @Test
  void builderAndFactoriesRefuseNonsense() {
    assertThrows(IllegalArgumentException.class, () -> Framing.lengthField(5, 10));
    assertThrows(IllegalArgumentException.class, () -> Framing.lengthField(2, -1));
    assertThrows(IllegalArgumentException.class,
        () -> Framing.lengthFieldBuilder(2, 10).strip(3).build());
    assertThrows(IllegalArgumentException.class, () -> Framing.fixedLength(0));
    assertThrows(IllegalArgumentException.class, () -> Framing.chunks(0));
    assertThrows(IllegalArgumentException.class,
        () -> Framing.chunks(Framing.MAX_FRAME_LIMIT + 1));
    assertThrows(IllegalArgumentException.class,
        () -> Framing.lines(Framing.MAX_FRAME_LIMIT + 1));
  }

  /** The example of {@link Framing#chunks}'s comment. */
  @Test
  void chunksAreWhatEachReadBroughtUpToTheMaximumAndNeverTruncated() throws Exception {
    Framing chunks = Framing.chunks(4);
    assertEquals("chunks(4)", chunks.toString());
    FrameDecoder decoder = chunks.newDecoder();
    List<byte[]> frames = new ArrayList<>();
    for (String read : List.of("AB", "CDEFGH", "I")) {
      frames.addAll(decoder.decodeAll(ByteBuffer.wrap(ascii(read))));
    }
    decoder.finish(); // nothing held, nothing truncated
    assertEquals(List.of("AB", "CDEF", "GH", "I"),
        frames.stream().map(f -> new String(f, StandardCharsets.US_ASCII)).toList());
    assertArrayEquals(ascii("a whole sentence, longer than four"),
        chunks.encode(ascii("a whole sentence, longer than four")), "written as it is");
  }

  @Test
  void theEndOfStreamInsideAFrameIsTruncation() throws Exception {
    FrameDecoder decoder = Framing.fixedLength(3).newDecoder();
    assertEquals(2, decoder.decodeAll(ByteBuffer.wrap(ascii("ABCDEFGH"))).size());
    assertEquals(2, decoder.buffered());
    assertArrayEquals(ascii("GH"), decoder.remainder());
    decoder.finish(); // remainder() took them
    FrameDecoder lines = Framing.lines(8).newDecoder();
    assertNull(lines.decode(ByteBuffer.wrap(ascii("abc\r"))));
    FrameException e = assertThrows(FrameException.class, lines::finish);
    assertEquals("truncated line: the stream ended after 4 bytes of it", e.getMessage());
  }

  @Test
  void everySplitOfASampleStreamGivesTheSameFrames() throws Exception {
    for (FramingSpec spec : FramingSpec.ALL) {
      Framing framing = spec.framing();
      List<byte[]> messages = FramingPropertiesTest.messages(spec, List.of(
          ascii(""), ascii("abc;d|e\r"), ascii("\n\r\nab||"), ascii("xxbcdzz"),
          ascii("0123456789abcdefghij"), new byte[] {0, 1, 2, -1}));
      byte[] stream = FramingPropertiesTest.encodeAll(framing, messages);
      for (int i = 0; i <= stream.length; i++) {
        for (int j = i; j <= stream.length; j++) {
          FrameDecoder decoder = framing.newDecoder();
          List<byte[]> frames = new ArrayList<>();
          frames.addAll(decoder.decodeAll(ByteBuffer.wrap(stream, 0, i).slice()));
          frames.addAll(decoder.decodeAll(ByteBuffer.wrap(stream, i, j - i).slice()));
          frames.addAll(decoder.decodeAll(ByteBuffer.wrap(stream, j, stream.length - j).slice()));
          decoder.finish();
          FramingPropertiesTest.assertFrames(messages, frames);
        }
      }
      FramingPropertiesTest.assertFrames(messages,
          FramingPropertiesTest.decodeInChunks(framing, stream, List.of(1, 0)));
    }
  }
}
