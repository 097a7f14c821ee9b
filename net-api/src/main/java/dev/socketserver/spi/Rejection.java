package dev.socketserver.spi;

import java.io.EOFException;
import java.net.SocketException;
import org.slf4j.event.Level;

/**
 * How the server core logs a request that its transport could not {@linkplain Acceptor#prepare
 * prepare}: a failed TLS handshake, an untrusted PROXY source, a client that left. The core
 * writes {@code "Rejected connection from <client>: <reason>"} at {@code level}, at a bounded
 * rate per {@code kind} (a peer can cause as many as it likes), and counts the request as
 * rejected whatever the kind. A transport says what its own failures are with {@link
 * Acceptor#rejection}; the core never looks at exception classes itself. Immutable and
 * thread-safe.
 *
 * @param kind names the kind of rejection in the rate limiter's summary line, for example
 *     {@code "Connections rejected for a failed TLS handshake"}; one rate limit per kind
 * @param level the level of the log line: INFO for what peers cause and no operator can fix,
 *     WARN for what may need attention
 * @param reason what the log line says after the client, for example {@code "TLS handshake
 *     failed: <exception>"}
 */
public record Rejection(String kind, Level level, String reason) {

  /**
   * Returns how a failure no transport explained is logged: a {@link SocketException} or an
   * {@link EOFException} (reset, broken pipe, closed early) as a client that left, at INFO;
   * anything else as a rejected request, at WARN.
   */
  public static Rejection of(Exception failure) {
    if (failure instanceof SocketException || failure instanceof EOFException) {
      // The client's doing: nothing for an operator to fix.
      return new Rejection(
          "Connections whose client left before they were served", Level.INFO,
          "the client left before it was served: " + failure);
    }
    return new Rejection("Rejected requests", Level.WARN, failure.toString());
  }
}
