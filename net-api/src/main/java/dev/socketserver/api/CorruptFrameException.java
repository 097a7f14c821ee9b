package dev.socketserver.api;

/**
 * The input breaks its framing's rules in a way no frame can have: a length field that gives a
 * negative length or one shorter than the header it must include, or a bare CR or LF where only
 * CRLF ends a line. The stream cannot be resynchronised; the connection should be closed.
 *
 * <p>Immutable and thread-safe once thrown.
 */
public final class CorruptFrameException extends FrameException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that shows the offending value. */
  public CorruptFrameException(String message) {
    super(message);
  }
}
