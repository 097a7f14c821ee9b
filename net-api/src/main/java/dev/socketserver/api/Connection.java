package dev.socketserver.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One stream connection: the request of a stream server, and what stream clients return.
 * Python's {@code StreamRequestHandler} with its {@code rfile}, {@code wfile} and
 * {@code request} in one object.
 *
 * <p>Reading: {@link #input()} is buffered (the server's read buffer size, Python's
 * {@code rbufsize}) and blocks at most {@link #readTimeout()}; {@link #readLine(int)} reads one
 * bounded line; {@link #readFrame(Framing)} one frame of any {@link Framing}. Writing: {@link #output()} is buffered (the write buffer size, Python's
 * {@code wbufsize}; 0 makes every write go straight to the socket) and every write is a full
 * write. Buffered output is flushed when the buffer fills, on {@code flush()}, before the
 * connection's thread blocks waiting for input (so a request/response exchange never stalls on
 * an unflushed reply), and on close.
 *
 * <p>Thread-safety: a connection is confined to the thread that handles it. Reading and writing
 * may happen on two different threads (one reader, one writer), but two threads must not read,
 * or write, at once. {@link #close()} from the owning thread flushes first, unless a read
 * already failed (the peer reset the connection): then buffered output cannot be delivered and is
 * dropped, since that read reported the failure.
 *
 * <p>Who closes it: the server closes the connection after the handler returns or throws; a
 * client closes what it connected, best with try-with-resources. A second {@code close()} does
 * nothing.
 */
public interface Connection extends AutoCloseable {

  /**
   * Returns the buffered input stream of this connection; the same object on every call.
   * {@code read} returns -1 at end of stream, throws {@link java.net.SocketTimeoutException}
   * when nothing arrives within {@link #readTimeout()} (the connection stays usable), and
   * {@link java.io.InterruptedIOException} if the thread is interrupted while waiting.
   */
  InputStream input();

  /**
   * Returns the buffered output stream of this connection; the same object on every call. Its
   * {@code close()} closes the connection. A write that cannot complete within
   * {@link #writeTimeout()} throws {@link java.net.SocketTimeoutException}; what was not written
   * is lost and the connection should be closed.
   */
  OutputStream output();

  /**
   * Reads one line of at most {@code maxBytes} bytes, decoded as UTF-8 (malformed bytes become
   * U+FFFD), without its terminator.
   *
   * <p>A line ends at LF; a CR just before the LF is dropped too, so both LF and CRLF are
   * accepted and a lone CR stays part of the line. At end of stream the unterminated rest is
   * returned as the last line, and then {@code null}. Never buffers more than
   * {@code maxBytes + 1} bytes of a line.
   *
   * @return the line, or {@code null} at end of stream
   * @throws FrameTooLongException if the line is longer than {@code maxBytes} bytes; the bytes
   *     of that line read so far are lost, so the connection should be closed
   * @throws IllegalArgumentException if {@code maxBytes < 0}
   */
  @Nullable String readLine(int maxBytes) throws IOException;

  /**
   * Reads the next frame of {@code framing}: {@code framing.newDecoder()} fed from this
   * connection's input. Consumes the frame's bytes and not one more, so reads of other kinds
   * (another framing, {@link #input()}) may follow.
   *
   * <p>End of stream at a frame boundary returns {@code null}; inside a frame it is a
   * {@link FrameException} ("truncated"). If the read fails part way (a timeout, an interrupt),
   * the part of the frame read so far is lost, so the connection should be closed.
   *
   * @implSpec The default reads {@link #input()} one byte at a time; a connection that holds its
   *     input in a buffer overrides it to decode from the buffer directly.
   * @return the frame, a new array the caller owns, or {@code null} at end of stream
   * @throws FrameTooLongException if the frame exceeds {@code framing.maxFrame()}; nothing past
   *     the limit is buffered
   * @throws CorruptFrameException if the input breaks the framing's rules
   * @throws FrameException if the stream ends inside a frame
   */
  default byte @Nullable [] readFrame(Framing framing) throws IOException {
    FrameDecoder decoder = framing.newDecoder();
    InputStream in = input();
    ByteBuffer one = ByteBuffer.allocate(1);
    while (true) {
      int b = in.read();
      if (b < 0) {
        decoder.finish();
        return null;
      }
      byte[] frame = decoder.decode(one.clear().put(0, (byte) b));
      if (frame != null) {
        return frame;
      }
    }
  }

  /**
   * Writes {@code frame} encoded by {@code framing} to {@link #output()}: buffered like any
   * output, flushed when the buffer fills, on {@code flush()}, before this thread blocks to read,
   * and on close.
   *
   * @throws IllegalArgumentException if {@code framing} cannot represent {@code frame} (too long,
   *     holds its own delimiter, its length does not fit the length field): a caller's bug, not
   *     the peer's, so it is not a {@link FrameException}; nothing was written and the connection
   *     is still usable
   */
  default void writeFrame(Framing framing, byte[] frame) throws IOException {
    framing.writeTo(output(), frame);
  }

  /**
   * Writes {@code frame}'s remaining bytes encoded by {@code framing} to {@link #output()},
   * consuming them, as {@link #writeFrame(Framing, byte[])}. The bytes are copied before this
   * returns (into the connection's write buffer, or out), so the caller may reuse the buffer at
   * once. A server's connection takes them straight from the buffer, with no intermediate array.
   *
   * @throws IllegalArgumentException as {@link #writeFrame(Framing, byte[])}: nothing was
   *     written, {@code frame} was not consumed, and the connection is still usable
   */
  default void writeFrame(Framing framing, ByteBuffer frame) throws IOException {
    framing.writeTo(output(), frame);
  }

  /** Returns the address of the peer: the client for a server's connection. */
  SocketAddress remoteAddress();

  /**
   * Returns the server that accepted this connection (Python's {@code self.server}), for
   * example so that its handler can {@link Server#shutdown()} it. Callable from any thread.
   *
   * @implSpec The default implementation throws: for connections no server accepted.
   * @throws IllegalStateException on a client's connection, which no server accepted
   */
  default Server server() {
    throw new IllegalStateException("a client connection has no server: " + this);
  }

  /**
   * Returns the PROXY protocol header the server's trusted proxy sent, or empty if the server
   * does not speak the protocol (see {@code StreamServerBuilder.proxyProtocol}). With a header,
   * {@link #remoteAddress()} is the original client and {@link ProxyHeader#proxy()} the proxy.
   */
  default Optional<ProxyHeader> proxy() {
    return Optional.empty();
  }

  /**
   * Returns what the TLS handshake settled (protocol, cipher suite, peer certificates, SNI,
   * ALPN), or empty if this connection does not use TLS.
   */
  default Optional<TlsInfo> tls() {
    return Optional.empty();
  }

  /** Returns this side's address. */
  SocketAddress localAddress();

  /** Returns how long a read waits for data before it fails; {@link Duration#ZERO} for ever. */
  Duration readTimeout();

  /**
   * Sets how long a read waits for data ({@link Duration#ZERO}: for ever); Python's
   * {@code settimeout}. Takes effect from the next read.
   *
   * @implNote A waiting read is failed by the readiness poller's periodic sweep, not by a timer of
   *     its own (a timer per wait doubled the CPU of a small echo): it fails between the timeout
   *     and an eighth of it later (at least 5 ms, at most 1 s later). Write timeouts likewise.
   *
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  void readTimeout(Duration timeout);

  /** Returns how long a write waits for the peer to take data; {@link Duration#ZERO} for ever. */
  Duration writeTimeout();

  /**
   * Sets how long a write waits for the peer to take data ({@link Duration#ZERO}: for ever).
   *
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  void writeTimeout(Duration timeout);

  /**
   * Returns the value of a socket option; Python's {@code getsockopt}.
   *
   * @throws UnsupportedOperationException if the socket does not support the option
   */
  <T> T option(SocketOption<T> name) throws IOException;

  /**
   * Sets a socket option, for example {@code StandardSocketOptions.TCP_NODELAY}; Python's
   * {@code setsockopt}.
   *
   * @throws UnsupportedOperationException if the socket does not support the option
   * @throws IllegalArgumentException if the value is not valid for the option
   */
  <T> void option(SocketOption<T> name, T value) throws IOException;

  /**
   * Flushes the output, then shuts the sending side down: the peer reads end of stream, while
   * this side can still read. A half-close.
   */
  void shutdownOutput() throws IOException;

  /** Returns whether the connection is still open. */
  boolean isOpen();

  /**
   * Returns whether the server that accepted this connection drains ({@link Server#drain} or
   * {@link Server#close}; {@code shutdown()} alone lets every connection go on until its client
   * ends it): a handler of a long-lived connection may finish the message it is answering, then
   * return, so the client sees a clean end of stream after a complete reply and reconnects
   * elsewhere. While the server drains, a read that waits at a message boundary ends as at end of
   * stream if no next message begins within 100 ms: {@code readLine} and {@code readFrame} when
   * nothing of a next line or frame has arrived, {@code input().transferTo} when everything read
   * has been passed on; a client that keeps sending is served on, and a plain {@code
   * input().read} waits as ever. The connection then ends with a clean end of stream. False for a
   * client's connection, and until the drain.
   */
  default boolean draining() {
    return false;
  }

  /**
   * Flushes the output and closes the connection. A second call does nothing. If a read on this
   * connection already failed (the peer reset it), buffered output is dropped without an attempt
   * to send it: it cannot arrive, and that read reported the failure.
   *
   * @throws IOException if the final flush failed; the connection is closed all the same
   */
  @Override
  void close() throws IOException;
}
