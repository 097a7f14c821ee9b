package dev.socketserver.api;

import dev.socketserver.engine.stream.BufferPools;
import dev.socketserver.engine.stream.ChannelConnection;
import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.engine.stream.Poller;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;

/**
 * Two real {@link ChannelConnection}s joined over TCP on 127.0.0.1, port 0: the blocking faces
 * tested without a server. Both ends use the shared client poller.
 */
record Loopback(ChannelConnection left, ChannelConnection right) implements AutoCloseable {

  static Loopback open(ConnectionOptions leftOptions, ConnectionOptions rightOptions)
      throws IOException {
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      SocketChannel l = SocketChannel.open(server.getLocalAddress());
      SocketChannel r = server.accept();
      return new Loopback(connect(l, leftOptions), connect(r, rightOptions));
    }
  }

  private static ChannelConnection connect(SocketChannel channel, ConnectionOptions options)
      throws IOException {
    return ChannelConnection.open(
        channel, Poller.shared(), BufferPools.forOptions(options), options, new Counters());
  }

  /** Work that may throw, run on another thread. */
  interface Task {
    void run() throws Exception;
  }

  /** Runs {@code task} on a virtual thread; join the result to see its failure. */
  static CompletableFuture<Void> async(Task task) {
    return CompletableFuture.runAsync(() -> {
      try {
        task.run();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, Executors.newVirtualThreadPerTaskExecutor());
  }

  @Override
  public void close() throws IOException {
    left.abort();
    right.abort();
  }
}
