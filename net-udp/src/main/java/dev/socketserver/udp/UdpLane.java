package dev.socketserver.udp;

import dev.socketserver.api.Datagram;
import dev.socketserver.api.Server;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * One socket of a {@link UdpAcceptor}: receives into a reused direct buffer one byte larger than
 * the maximum (so a longer datagram shows as filling it and is never silently cut; the handler
 * gets a copy of exactly the bytes received), and sends the replies of the datagrams it received.
 * A server with several pollers has one lane per SO_REUSEPORT socket, the kernel spreading
 * senders over them.
 *
 * <p>The receiving thread (the lane's own, or the serving thread for {@code handleRequest}) waits
 * on a selector of the lane's, so {@link #wakeup()} ends a wait at once. The channel stays
 * non-blocking: an interrupted handler (as {@code shutdownNow()} does) cannot close it, and a reply
 * that finds the send buffer full waits for it on a second selector, opened on first need.
 * Thread-safety: {@link #receive} and {@link #accept} by one thread at a time; the rest from any.
 */
final class UdpLane implements UdpDatagram.Socket {
  private final UdpAcceptor acceptor;
  private final DatagramChannel channel;
  private final Selector selector;
  private final ByteBuffer buffer; // the receiving thread only
  private final ReentrantLock sendLock = new ReentrantLock();
  private volatile @Nullable Selector sendSelector; // written under sendLock

  private UdpLane(UdpAcceptor acceptor, DatagramChannel channel, Selector selector, int maxDatagramSize) {
    this.acceptor = acceptor;
    this.channel = channel;
    this.selector = selector;
    this.buffer = ByteBuffer.allocateDirect(maxDatagramSize + 1);
  }

  /** Makes {@code channel} non-blocking and opens its selector; on failure closes the selector. */
  static UdpLane open(UdpAcceptor acceptor, DatagramChannel channel, int maxDatagramSize) throws IOException {
    channel.configureBlocking(false);
    Selector selector = Selector.open();
    try {
      channel.register(selector, SelectionKey.OP_READ);
      return new UdpLane(acceptor, channel, selector, maxDatagramSize);
    } catch (IOException | RuntimeException e) {
      UdpAcceptor.closeQuietly(selector);
      throw e;
    }
  }

  DatagramChannel channel() {
    return channel;
  }

  /** As {@link dev.socketserver.spi.Acceptor#accept(long)}, from this socket only. */
  @Nullable Datagram accept(long timeoutNanos) throws IOException {
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
      UdpAcceptor.select(selector, timeoutNanos);
      d = receive();
    }
    return d;
  }

  /** Receives one datagram if one is waiting, else returns null at once. */
  @Nullable Datagram receive() throws IOException {
    buffer.clear();
    SocketAddress sender = channel.receive(buffer);
    if (sender == null) {
      return null;
    }
    int n = buffer.position();
    acceptor.counters().read(n);
    if (n > acceptor.maxDatagramSize()) {
      return UdpDatagram.tooLong(sender, this);
    }
    byte[] payload = new byte[n];
    buffer.flip().get(payload);
    return UdpDatagram.of(payload, sender, this);
  }

  @Override
  public void reply(UdpDatagram to, ByteBuffer data) throws IOException {
    int n = data.remaining();
    if (to.isAborted()) {
      throw acceptor.stopped(to);
    }
    // Non-blocking: all of it goes, or nothing (0) when the send buffer is full.
    if (channel.send(data, to.sender()) == 0 && n > 0) {
      sendWhenWritable(to, data);
    }
    acceptor.counters().replied(n);
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
          throw acceptor.stopped(to);
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

  @Override
  public SocketAddress localAddress() {
    return acceptor.localAddress();
  }

  @Override
  public @Nullable Server server() {
    return acceptor.server();
  }

  /** Ends a wait in {@link #accept}. */
  void wakeup() {
    selector.wakeup();
  }

  /** Ends a reply's wait for the send buffer, so an aborted one gives up. */
  void wakeSender() {
    Selector s = sendSelector;
    if (s != null) {
      s.wakeup();
    }
  }

  /** Stops receiving; the channel stays open for replies. */
  void closeReceiving() {
    UdpAcceptor.closeQuietly(selector);
  }

  /** Closes what is left: the send selector and the channel. */
  void close() {
    Selector s = sendSelector;
    if (s != null) {
      UdpAcceptor.closeQuietly(s);
    }
    UdpAcceptor.closeQuietly(channel);
  }
}
