package dev.socketserver.examples;

import dev.socketserver.api.Connection;
import dev.socketserver.api.CorruptFrameException;
import dev.socketserver.api.FrameException;
import dev.socketserver.api.FrameTooLongException;
import dev.socketserver.api.Framing;
import dev.socketserver.api.Server;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP/1.1 server on TCP port 8080 that answers every request with {@code Hello, World!}: the
 * benchmark peer of Python's {@code http.server} (itself built on socketserver) and of Netty's
 * HTTP hello world. Minimal, but correct for what it accepts:
 *
 * <ul>
 *   <li>Keep-alive: HTTP/1.1 connections stay open unless the request says
 *       {@code Connection: close}; HTTP/1.0 ones only with {@code Connection: keep-alive}.
 *   <li>Lines end with CRLF only, and each is at most {@value #MAX_LINE} bytes: a bare LF or CR
 *       is a 400, a longer line a 414 (request line) or 431 (header), both without reading the
 *       rest of it; more than {@value #MAX_HEADERS} headers is a 431. Leniency about line ends
 *       is how request smuggling starts, so there is none.
 *   <li>A request body given by {@code Content-Length} (at most {@value #MAX_BODY} bytes) is read
 *       and discarded, so the next request on the connection starts where it should; a
 *       {@code Transfer-Encoding} body is not supported (501) and two different lengths are a
 *       400. Every error response closes the connection.
 *   <li>{@code HEAD} gets the headers without the body.
 *   <li>Timeouts, as a web server has them: a connection waits {@code --read-timeout} (10 s) for
 *       its next request, then is closed without a word; a request that stalls that long gets a
 *       408. One that moves no byte for {@code --idle-timeout} (15 s), a client that stopped
 *       reading its responses included, is closed.
 * </ul>
 * Responses are not flushed one by one: the connection flushes when the handler waits for the
 * next request, so pipelined requests get their responses in one write.
 *
 * Try it: {@code ./run http-hello}, then {@code curl -v localhost:8080/}.
 */
final class HttpHello {
  /**
   * A web server's timeouts: a keep-alive connection waits 10 s for its next request (nginx waits
   * 75 s, Apache 5 s), and one that moves no byte for 15 s (a client that stopped reading) is closed.
   */
  static final Options.Spec OPTIONS =
      Options.usage("http-hello [--host H] [--port N] [--idle-timeout S] [--read-timeout S]")
          .listen(8080)
          .timeouts("15s", "10s");

  static final int MAX_LINE = 8192;
  static final int MAX_HEADERS = 100;
  static final int MAX_BODY = 1 << 20;
  private static final Framing LINES = Framing.strictLines(MAX_LINE);
  private static final String BODY = "Hello, World!";
  private static final byte[] OK_HEAD = head("HTTP/1.1 200 OK", "");
  private static final byte[] OK_HEAD_KEEP_ALIVE = head("HTTP/1.1 200 OK", "Connection: keep-alive\r\n");
  private static final byte[] OK_HEAD_CLOSE = head("HTTP/1.1 200 OK", "Connection: close\r\n");
  private static final byte[] OK_BODY = BODY.getBytes(StandardCharsets.US_ASCII);

  private HttpHello() {}

  static void main(String[] args) throws Exception {
    Options options = OPTIONS.parse(args);
    Serving.untilSignalled(() -> server(options, System.out));
  }

  /** Builds the server (bound and listening, not yet serving) and says where it listens. */
  static Server server(Options options, PrintStream out) throws IOException {
    Server server = Serving.timeouts(Serving.tcp(options), options).handler(HttpHello::serve).build();
    Serving.announce("http-hello", server, out, Serving.timeoutsSetting(options));
    return server;
  }

  private static byte[] head(String status, String extra) {
    return (status + "\r\nContent-Type: text/plain\r\nContent-Length: " + BODY.length() + "\r\n" + extra + "\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** A request that can be answered: whether it is a HEAD and whether the connection stays open. */
  private record Request(boolean head, boolean keepAlive, boolean http10) {}

  /** An error response: the request cannot be answered and the connection ends after it. */
  private static final class HttpError extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;

    HttpError(int status, String reason) {
      super(reason, null, false, false);
      this.status = status;
    }
  }

  /**
   * Serves requests on one connection until the client closes it, asks to, errs, or sends no next
   * request within the read timeout.
   */
  static void serve(Connection c) throws IOException {
    while (true) {
      Request request;
      try {
        request = read(c);
      } catch (HttpError e) {
        String body = e.getMessage() + "\n";
        c.output().write(("HTTP/1.1 " + e.status + " " + e.getMessage() + "\r\nContent-Type: text/plain\r\n"
                + "Content-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body)
            .getBytes(StandardCharsets.US_ASCII));
        return;
      }
      if (request == null) {
        return; // the client closed between requests
      }
      c.output().write(!request.keepAlive() ? OK_HEAD_CLOSE : request.http10() ? OK_HEAD_KEEP_ALIVE : OK_HEAD);
      if (!request.head()) {
        c.output().write(OK_BODY);
      }
      if (!request.keepAlive()) {
        return;
      }
    }
  }

  /**
   * Reads one request, its body included; null if the stream ends before it starts, or the read
   * timeout passes first (the keep-alive wait is over: the connection is closed without a word).
   * A read timeout inside the request is a 408.
   */
  private static @Nullable Request read(Connection c) throws IOException, HttpError {
    String requestLine;
    try {
      requestLine = line(c, 414, "URI Too Long");
      if (requestLine != null && requestLine.isEmpty()) {
        requestLine = line(c, 414, "URI Too Long"); // RFC 9112 2.2: one empty line before a request is ignored
      }
    } catch (SocketTimeoutException e) {
      return null;
    }
    if (requestLine == null) {
      return null;
    }
    try {
      return rest(c, requestLine);
    } catch (SocketTimeoutException e) {
      throw new HttpError(408, "Request Timeout");
    }
  }

  /** Reads the rest of the request that {@code requestLine} began: its headers and its body. */
  private static Request rest(Connection c, String requestLine) throws IOException, HttpError {
    String[] parts = requestLine.split(" ", -1);
    if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
      throw new HttpError(400, "Bad Request");
    }
    boolean http10 = switch (parts[2]) {
      case "HTTP/1.1" -> false;
      case "HTTP/1.0" -> true;
      default -> throw new HttpError(505, "HTTP Version Not Supported");
    };
    boolean close = false;
    boolean keepAlive = false;
    long length = -1;
    for (int headers = 0; ; headers++) {
      String header = line(c, 431, "Request Header Fields Too Large");
      if (header == null) {
        throw new HttpError(400, "Bad Request"); // ended inside the headers
      }
      if (header.isEmpty()) {
        break;
      }
      if (headers == MAX_HEADERS) {
        throw new HttpError(431, "Request Header Fields Too Large");
      }
      int colon = header.indexOf(':');
      if (colon <= 0 || header.charAt(colon - 1) == ' ' || header.charAt(colon - 1) == '\t'
          || header.charAt(0) == ' ' || header.charAt(0) == '\t') {
        throw new HttpError(400, "Bad Request"); // no name, whitespace before the colon, or obs-fold
      }
      String name = header.substring(0, colon).toLowerCase(Locale.ROOT);
      switch (name) {
        case "connection" -> {
          for (String token : value(header, colon).split(",")) {
            close |= token.strip().equals("close");
            keepAlive |= token.strip().equals("keep-alive");
          }
        }
        case "content-length" -> {
          long l = contentLength(value(header, colon));
          if (length >= 0 && l != length) {
            throw new HttpError(400, "Bad Request");
          }
          length = l;
        }
        case "transfer-encoding" -> throw new HttpError(501, "Not Implemented");
        default -> {}
      }
    }
    if (length > 0) {
      skip(c.input(), length);
    }
    return new Request(parts[0].equals("HEAD"), http10 ? keepAlive && !close : !close, http10);
  }

  /** The value of a header whose name ends at {@code colon}: only the headers we act on need it. */
  private static String value(String header, int colon) {
    return header.substring(colon + 1).strip().toLowerCase(Locale.ROOT);
  }

  /** Reads a CRLF-terminated line as Latin-1; null at the end of the stream. */
  private static @Nullable String line(Connection c, int tooLong, String reason) throws IOException, HttpError {
    byte[] line;
    try {
      line = c.readFrame(LINES);
    } catch (FrameTooLongException e) {
      throw new HttpError(tooLong, reason);
    } catch (CorruptFrameException e) {
      throw new HttpError(400, "Bad Request"); // a bare CR or LF
    } catch (FrameException e) {
      return null; // truncated: the client went away in the middle of a line
    }
    return line == null ? null : new String(line, StandardCharsets.ISO_8859_1);
  }

  private static long contentLength(String value) throws HttpError {
    if (value.isEmpty() || value.length() > 10 || !value.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
      throw new HttpError(400, "Bad Request");
    }
    long length = Long.parseLong(value);
    if (length > MAX_BODY) {
      throw new HttpError(413, "Content Too Large");
    }
    return length;
  }

  private static void skip(InputStream in, long length) throws IOException, HttpError {
    long left = length;
    while (left > 0) {
      long n = in.skip(left);
      if (n <= 0) {
        if (in.read() < 0) {
          throw new HttpError(400, "Bad Request"); // the body was cut short
        }
        n = 1;
      }
      left -= n;
    }
  }
}
