package dev.socketserver.udp;

import dev.socketserver.api.Datagram;
import dev.socketserver.api.FrameTooLongException;
import dev.socketserver.api.Server;
import dev.socketserver.engine.telemetry.Logs;
import dev.socketserver.spi.Acceptor;
import dev.socketserver.spi.Traffic;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * Receives datagrams for the server core from a bound, non-blocking {@link DatagramChannel}, and
 * sends their replies on it.
 *
 * <p>The serving thread waits on a selector of its own, so {@link #wakeup()} ends a wait at once.
 * Every datagram is received into one reused direct buffer one byte larger than the maximum, so a
 * longer datagram shows as filling it and is never silently cut; the handler gets a copy of
 * exactly the bytes received. The channel stays non-blocking: an interrupted handler (as
 * {@code shutdownNow()} does) cannot close it, and a reply that finds the send buffer full waits
 * for it on a second selector, opened on first need.
 *
 * <p>Lifetime: {@link #closeListener()} only stops receiving; the channel stays open for the
 * replies of requests in flight and is closed by {@link #terminated()}. Thread-safety as in
 * {@link Acceptor}; {@link #reply} from any thread.
 */
final class UdpAcceptor implements Acceptor<Datagram>, UdpDatagram.Socket {
  private static final Logger log = Logs.get(UdpAcceptor.class);

  private final DatagramChannel channel;
  private final Selector selector;
  private final ByteBuffer buffer; // serving thread only
  private final int maxDatagramSize;
  private final Traffic counters;
  private volatile @Nullable Server server;
  private final String name;
  private final Runnable afterClose;
  private final InetSocketAddress localAddress;
  private final @Nullable KernelDrops drops;
  private final ReentrantLock sendLock = new ReentrantLock();
  private volatile @Nullable Selector sendSelector; // written under sendLock
  private volatile @Nullable OptionalLong dropsAtClose;

  private UdpAcceptor(
      DatagramChannel channel,
      Selector selector,
      int maxDatagramSize,
      Traffic counters,
      String name,
      Runnable afterClose)
      throws IOException {
    this.channel = channel;
    this.afterClose = afterClose;
    this.selector = selector;
    this.maxDatagramSize = maxDatagramSize;
    this.buffer = ByteBuffer.allocateDirect(maxDatagramSize + 1);
    this.counters = counters;
    this.name = name;
    this.localAddress = (InetSocketAddress) channel.getLocalAddress();
    this.drops = KernelDrops.find(localAddress);
  }

  /**
   * Takes ownership of a bound {@code channel} and prepares to receive from it; {@code afterClose}
   * runs once the channel is closed (an inherited channel's standard streams given back). On
   * failure the channel is closed and {@code afterClose} run.
   */
  static UdpAcceptor open(
      DatagramChannel channel, int maxDatagramSize, Traffic counters, String name, Runnable afterClose)
      throws IOException {
    Selector selector = null;
    try {
      channel.configureBlocking(false);
      selector = Selector.open();
      channel.register(selector, SelectionKey.OP_READ);
      return new UdpAcceptor(channel, selector, maxDatagramSize, counters, name, afterClose);
    } catch (IOException | RuntimeException e) {
      if (selector != null) {
        closeQuietly(selector);
      }
      closeQuietly(channel);
      afterClose.run();
      throw e;
    }
  }

  @Override
  public void attach(Server s) {
    this.server = s;
  }

  @Override
  public @Nullable Server server() {
    return server;
  }

  @Override
  public @Nullable Datagram accept(long timeoutNanos) throws IOException {
    // Try first: under load the buffer is rarely empty, and this saves a select per datagram.
    Datagram d = receive();
    if (d == null && timeoutNanos != 0 && Thread.currentThread().isVirtual()) {
      // The handlers just started for the datagrams taken wait in this carrier's queue: let them
      // run (and reply) first, and the next datagrams have usually arrived by then. Waiting at
      // once parks this thread through the JDK's poller, whose master thread must wake to resume
      // it: a context switch per batch.
      Thread.yield();
      d = receive();
    }
    if (d == null && timeoutNanos != 0) {
      if (timeoutNanos < 0) {
        selector.select();
      } else {
        selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos + 999_999)));
      }
      selector.selectedKeys().clear();
      d = receive();
    }
    return d;
  }

  private @Nullable Datagram receive() throws IOException {
    buffer.clear();
    SocketAddress sender = channel.receive(buffer);
    if (sender == null) {
      return null;
    }
    int n = buffer.position();
    counters.read(n);
    if (n > maxDatagramSize) {
      return UdpDatagram.tooLong(sender, this);
    }
    byte[] payload = new byte[n];
    buffer.flip().get(payload);
    return UdpDatagram.of(payload, sender, this);
  }

  @Override
  public void verify(Datagram request) throws FrameTooLongException {
    if (((UdpDatagram) request).isTooLong()) {
      throw new FrameTooLongException(
          "datagram from " + request.sender(), maxDatagramSize + 1L, false, maxDatagramSize);
    }
  }

  @Override
  public void reply(UdpDatagram to, ByteBuffer data) throws IOException {
    int n = data.remaining();
    if (to.isAborted()) {
      throw stopped(to);
    }
    // Non-blocking: all of it goes, or nothing (0) when the send buffer is full.
    if (channel.send(data, to.sender()) == 0 && n > 0) {
      sendWhenWritable(to, data);
    }
    counters.replied(n);
  }

  private void sendWhenWritable(UdpDatagram to, ByteBuffer data) throws IOException {
    sendLock.lock();
    try {
      Selector s = sendSelector;
      if (s == null) {
        s = Selector.open();
        channel.register(s, SelectionKey.OP_WRITE);
        sendSelector = s;
      }
      while (channel.send(data, to.sender()) == 0) {
        if (to.isAborted()) {
          throw stopped(to);
        }
        if (Thread.currentThread().isInterrupted()) {
          throw new InterruptedIOException("interrupted while waiting to reply to " + to.sender());
        }
        s.select();
        s.selectedKeys().clear();
      }
    } finally {
      sendLock.unlock();
    }
  }

  private IOException stopped(UdpDatagram to) {
    return new IOException("the server " + name + " was stopped: no reply sent to " + to.sender());
  }

  @Override
  public void wakeup() {
    selector.wakeup();
  }

  @Override
  public InetSocketAddress localAddress() {
    return localAddress;
  }

  @Override
  public String describe(Datagram request) {
    return request.sender().toString();
  }

  @Override
  public void finish(Datagram request) {
    // Nothing to close: the datagram's bytes are the handler's, the socket is the server's.
  }

  @Override
  public void abort(Datagram request) {
    ((UdpDatagram) request).abort();
    Selector s = sendSelector;
    if (s != null) {
      s.wakeup();
    }
  }

  /** Stops receiving; the channel stays open for the replies of requests in flight. */
  @Override
  public void closeListener() {
    closeQuietly(selector);
  }

  @Override
  public void terminated() {
    OptionalLong dropped = kernelDrops();
    dropsAtClose = dropped;
    if (dropped.isPresent() && dropped.getAsLong() > 0) {
      log.info(
          "The kernel dropped {} datagram(s) for {} while it ran (receive buffer full: raise"
              + " receiveBufferSize or the limit)",
          dropped.getAsLong(), name);
    }
    Selector s = sendSelector;
    if (s != null) {
      closeQuietly(s);
    }
    closeQuietly(channel);
    afterClose.run();
  }

  /** Joins {@code group} on {@code nif}, or returns the key of that membership if it exists. */
  java.nio.channels.MembershipKey join(java.net.InetAddress group, java.net.NetworkInterface nif)
      throws IOException {
    return channel.join(group, nif);
  }

  /** Returns the kernel's drops for the socket so far; empty where they cannot be seen. */
  OptionalLong kernelDrops() {
    OptionalLong atClose = dropsAtClose;
    if (atClose != null) {
      return atClose;
    }
    KernelDrops d = drops;
    return d == null ? OptionalLong.empty() : d.read();
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.debug("Closing {} failed", c, e);
    }
  }
}
