package dev.socketserver.api;

import java.io.IOException;

/**
 * The input does not follow the framing it is read with: a line, delimited record or
 * length-prefixed frame is too long or malformed. The rest of the stream cannot be trusted; the
 * connection should be closed, which the server does when the exception leaves the handler.
 *
 * <p>Immutable and thread-safe once thrown.
 */
public class FrameException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that says what was wrong and what the limit is. */
  public FrameException(String message) {
    super(message);
  }
}
