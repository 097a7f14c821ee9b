package dev.socketserver.spi.factory;

import dev.socketserver.api.Server;
import dev.socketserver.engine.core.ServerCore;
import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.spi.Acceptor;
import dev.socketserver.spi.ServerSettings;
import dev.socketserver.spi.Traffic;
import java.io.IOException;
import java.util.function.Function;

/**
 * The entry point of a transport: turns its {@link Acceptor} and the {@link ServerSettings} its
 * builder collected into a {@link Server} with the lifecycle, concurrency policies, limits,
 * drain and metrics every server of this library has.
 *
 * {@snippet :
 * @Override
 * public Server build() throws IOException {
 *     ServerSettings<Datagram> settings = settings();      // from AbstractServerBuilder
 *     MySocket socket = MySocket.bind(address);            // bound: the server owns it now
 *     return ServerFactory.create("my " + address, settings,
 *         traffic -> new MyAcceptor(socket, traffic));
 * }
 * }
 *
 * <p>Stateless and thread-safe.
 */
public final class ServerFactory {
  private ServerFactory() {}

  /** Opens a transport's acceptor, given where it counts the bytes it moves. */
  @FunctionalInterface
  public interface AcceptorOpener<R> {
    /**
     * Returns the acceptor, which now owns the transport's bound socket.
     *
     * @throws IOException if it cannot be opened; it must then close what it was given
     */
    Acceptor<R> open(Traffic traffic) throws IOException;
  }

  /**
   * Returns a new server, in state {@code NEW}, serving what {@code opener}'s acceptor accepts.
   * The acceptor is told the server with {@link Acceptor#attach} before it is returned.
   *
   * @param name names the server in its thread names, log lines and {@code toString()}, for
   *     example {@code "udp /127.0.0.1:3130"}
   * @throws IOException what {@code opener} threw
   */
  public static <R> Server create(String name, ServerSettings<R> settings, AcceptorOpener<R> opener)
      throws IOException {
    return create(name, settings, opener, server -> server);
  }

  /**
   * Returns a new server as {@link #create(String, ServerSettings, AcceptorOpener)} does, wrapped
   * by {@code wrap} in the transport's own server type (usually a
   * {@link dev.socketserver.spi.ForwardingServer}); the acceptor is told the wrapper, so that a
   * handler's {@code server()} is the very object {@code build()} returned.
   *
   * @throws IOException what {@code opener} threw
   */
  public static <R, S extends Server> S create(
      String name, ServerSettings<R> settings, AcceptorOpener<R> opener, Function<Server, S> wrap)
      throws IOException {
    Counters counters = new Counters();
    Acceptor<R> acceptor = opener.open(counters);
    S server = wrap.apply(new ServerCore<>(name, settings, acceptor, counters));
    acceptor.attach(server);
    return server;
  }
}
