package dev.socketserver.spi;

import dev.socketserver.api.Datagram;
import dev.socketserver.api.Server;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/**
 * What every transport's received {@link Datagram} holds the same way: its own copy of the
 * payload, the sender, the server that received it, and whether the server stopped the request. A transport adds where
 * replies go ({@link Datagram#reply}, {@link Datagram#localAddress()}) and what else it knows.
 *
 * <p>Thread-safety as {@link Datagram} says: the payload never changes, {@link #abort()} and
 * {@link #isAborted()} from any thread.
 */
public abstract class ReceivedDatagram implements Datagram {
  private final byte[] payload;
  private final SocketAddress sender;
  private final @Nullable Server server;
  private volatile boolean aborted;

  /**
   * A datagram from {@code sender} whose payload is {@code payload}, which it now owns, received
   * by {@code server} (the one {@link Acceptor#attach} gave), or by a client if null.
   */
  protected ReceivedDatagram(byte[] payload, SocketAddress sender, @Nullable Server server) {
    this.payload = payload;
    this.sender = sender;
    this.server = server;
  }

  @Override
  public final Server server() {
    Server s = server;
    if (s == null) {
      return Datagram.super.server();
    }
    return s;
  }

  /** Makes every later reply fail: the server stopped this request. From any thread. */
  public final void abort() {
    aborted = true;
  }

  /** Returns whether the server stopped this request, so that it must not reply any more. */
  public final boolean isAborted() {
    return aborted;
  }

  @Override
  public final ByteBuffer payload() {
    return ByteBuffer.wrap(payload).asReadOnlyBuffer();
  }

  @Override
  public final byte[] bytes() {
    return payload.clone();
  }

  @Override
  public final int length() {
    return payload.length;
  }

  @Override
  public final SocketAddress sender() {
    return sender;
  }
}
