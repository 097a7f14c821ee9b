package dev.socketserver.engine.proxy;

import java.net.SocketException;

/**
 * A connection to a server that expects the PROXY protocol came from a source it does not trust:
 * it is closed before anything of it is read. A {@link SocketException}, as it always was, so
 * that callers that catch those see no change; the server logs it as what it is, not as a client
 * that left. Not thread-safe, like any exception being built; immutable once thrown.
 */
public final class UntrustedProxyException extends SocketException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with {@code message}, which names the source and the trusted ranges. */
  public UntrustedProxyException(String message) {
    super(message);
  }
}
