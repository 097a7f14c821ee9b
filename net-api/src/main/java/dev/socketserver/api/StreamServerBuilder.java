package dev.socketserver.api;

import java.time.Duration;

/**
 * The options of every stream server builder (TCP, Unix stream): {@link ServerBuilder}'s plus
 * the per-connection timeouts and buffer sizes of {@link ConnectionOptions}.
 *
 * <p>Not thread-safe: configure a builder on one thread.
 *
 * @param <B> the concrete builder type, returned by every setter
 */
public abstract class StreamServerBuilder<B extends StreamServerBuilder<B>>
    extends ServerBuilder<Connection, B> {
  private ConnectionOptions options = ConnectionOptions.defaults();

  /** For transports: creates a builder with the defaults. */
  protected StreamServerBuilder() {}

  /**
   * Sets the initial read timeout of every connection ({@link Duration#ZERO}, the default: none).
   * A handler can change it per connection.
   *
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  public final B readTimeout(Duration timeout) {
    options = options.withReadTimeout(timeout);
    return me();
  }

  /**
   * Sets the initial write timeout of every connection ({@link Duration#ZERO}, the default:
   * none).
   *
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  public final B writeTimeout(Duration timeout) {
    options = options.withWriteTimeout(timeout);
    return me();
  }

  /**
   * Sets the read buffer size (Python's {@code rbufsize}); 8 KiB by default.
   *
   * @throws IllegalArgumentException if {@code size} is out of 1..16 MiB
   */
  public final B readBufferSize(int size) {
    options = options.withReadBufferSize(size);
    return me();
  }

  /**
   * Sets the write buffer size (Python's {@code wbufsize}); 8 KiB by default, 0 for unbuffered
   * output.
   *
   * @throws IllegalArgumentException if {@code size} is out of 0..16 MiB
   */
  public final B writeBufferSize(int size) {
    options = options.withWriteBufferSize(size);
    return me();
  }

  /** For transports: returns the connection options collected so far. */
  protected final ConnectionOptions connectionOptions() {
    return options;
  }

  @SuppressWarnings("unchecked") // B is this builder's own type by the class's contract
  private B me() {
    return (B) this;
  }
}
