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
