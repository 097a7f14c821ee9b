package dev.socketserver.api;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Cuts a byte stream into the frames of one {@link Framing}, fed in chunks of any size; made by
 * {@link Framing#newDecoder()}.
 *
 * <p>Whatever way a stream is split into chunks (one byte each, empty chunks, everything at
 * once), the decoder yields the same frames in the same order. It consumes from a chunk only the
 * bytes of the current frame, so what follows a frame stays in the chunk for the next call, or
 * for another reader. Between calls it holds at most the unfinished frame: never more than
 * {@link Framing#maxFrame()} plus the framing's overhead (a header, or a delimiter but one byte).
 *
 * <p>After a {@link FrameException} the decoder is broken: the stream cannot be trusted past the
 * bad frame, and every later call throws {@link IllegalStateException}.
 *
 * <p>Not thread-safe: one decoder per stream, used by one thread at a time.
 */
public sealed interface FrameDecoder permits FrameDecoderBase {

  /**
   * Consumes bytes of {@code chunk} and returns the next complete frame, or {@code null} if the
   * chunk ends before the frame does.
   *
   * <p>On a frame, {@code chunk}'s position is just past the frame's end and the rest is left
   * there (call again for the next frame). On {@code null}, the whole chunk was consumed and the
   * decoder keeps the partial frame.
   *
   * @return a new array the caller owns, or {@code null} if more input is needed
   * @throws FrameTooLongException if the frame exceeds the maximum; thrown as soon as that is
   *     known, without buffering the frame
   * @throws CorruptFrameException if the input breaks the framing's rules
   * @throws FrameException for any other framing error
   */
  byte @Nullable [] decode(ByteBuffer chunk) throws FrameException;

  /**
   * Like {@link #decode(ByteBuffer)}, but returns the frame as a buffer, with no copy when it can:
   * a frame whose bytes all lie in {@code chunk} while the decoder holds none of it (the common
   * case: a frame that arrived in one read) is a {@linkplain ByteBuffer#slice(int, int) slice} of
   * {@code chunk}, sharing its memory; a frame gathered from several chunks is a buffer over a new
   * array, as {@code decode} would return it. Either way {@code chunk}'s position ends just past
   * the frame, as with {@code decode}.
   *
   * <p>The buffer's position is 0 and its limit the frame's length; its byte order is big-endian
   * (as any new buffer's), and a slice of a read-only chunk is read-only. A slice is valid only as
   * long as {@code chunk}'s memory holds these bytes: once the caller reuses it (a pooled buffer
   * given back, {@code compact()}, a new read) the slice shows other bytes, so whoever must keep
   * the frame copies it first.
   *
   * @return the frame, or {@code null} if more input is needed
   * @throws FrameException as {@link #decode(ByteBuffer)}
   */
  @Nullable ByteBuffer decodeSlice(ByteBuffer chunk) throws FrameException;

  /**
   * Decodes every complete frame of {@code chunk}, consuming all of it; a partial frame at its
   * end is kept for the next call.
   *
   * @return the frames, in order; empty if the chunk completes none
   * @throws FrameException as {@link #decode(ByteBuffer)}; the frames decoded before the bad one
   *     in this call are dropped with the list, so a caller that must answer them calls
   *     {@code decode} in a loop instead
   */
  default List<byte[]> decodeAll(ByteBuffer chunk) throws FrameException {
    List<byte[]> frames = new ArrayList<>();
    byte[] frame;
    while ((frame = decode(chunk)) != null) {
      frames.add(frame);
    }
    return frames;
  }

  /**
   * Tells the decoder the stream has ended.
   *
   * @throws FrameException if part of a frame is buffered: the stream was truncated
   */
  void finish() throws FrameException;

  /** Returns how many bytes of the unfinished frame this decoder holds. */
  int buffered();

  /**
   * Returns the bytes of the unfinished frame as they came, and forgets them; empty if there are
   * none. For callers that accept an unterminated last record at end of stream, as
   * {@link Connection#readLine(int)} does.
   */
  byte[] remainder();
}
