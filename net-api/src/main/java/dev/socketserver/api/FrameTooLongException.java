package dev.socketserver.api;

/**
 * A frame or line is longer than its limit. Thrown as soon as the limit is passed, without
 * reading the rest of the frame into memory.
 *
 * <p>Immutable and thread-safe once thrown.
 */
public final class FrameTooLongException extends FrameException {
  private static final long serialVersionUID = 1L;

  private final long limit;
  private final long size;

  /**
   * Creates the exception.
   *
   * @param what what was too long, for the message, for example {@code "line"}
   * @param size the frame's size if known, or the bytes seen so far (at least {@code limit + 1})
   * @param sizeKnown whether {@code size} is the whole frame's size or a lower bound
   * @param limit the maximum that was exceeded
   */
  public FrameTooLongException(String what, long size, boolean sizeKnown, long limit) {
    super(what + " of " + (sizeKnown ? "" : "at least ") + size + " bytes exceeds the limit of "
        + limit + " bytes");
    this.limit = limit;
    this.size = size;
  }

  /** Returns the limit that was exceeded, in bytes. */
  public long limit() {
    return limit;
  }

  /** Returns the frame's size, or a lower bound of it, in bytes. */
  public long size() {
    return size;
  }
}
