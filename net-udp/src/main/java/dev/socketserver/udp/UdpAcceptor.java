package dev.socketserver.udp;

import dev.socketserver.api.Datagram;
import dev.socketserver.api.FrameTooLongException;
import dev.socketserver.api.Server;
import dev.socketserver.engine.telemetry.Logs;
import dev.socketserver.spi.Acceptor;
import dev.socketserver.spi.Traffic;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * Receives datagrams for the server core from bound, non-blocking {@link DatagramChannel}s, one
 * {@link UdpLane} each, and sends their replies on the socket each came in on.
 *
 * <p>With one socket (the default) the serving thread receives from it. With several (a
 * server's {@code pollers(n)}: sockets of one SO_REUSEPORT group, bound to the same address, the
 * kernel spreading senders over them by their address) each is a lane of the core, received from
 * by a thread of its own while {@code serveForever} runs, so receiving scales over cores;
 * {@code handleRequest} receives from whichever has a datagram (a selector over all of them).
 *
 * <p>Lifetime: {@link #closeListener()} only stops receiving; the channels stay open for the
 * replies of requests in flight and are closed by {@link #terminated()}. Thread-safety as in
 * {@link Acceptor}; {@code reply} from any thread.
 */
final class UdpAcceptor implements Acceptor<Datagram> {
  private static final Logger log = Logs.get(UdpAcceptor.class);

  private final UdpLane[] lanes;
  // Over every lane's channel, for accept(timeout) with several lanes; null with one.
  private final @Nullable Selector any;
  private final AtomicInteger nextLane = new AtomicInteger();
  private final int maxDatagramSize;
  private final Traffic counters;
  private volatile @Nullable Server server;
  private final String name;
  private final Runnable afterClose;
  private final InetSocketAddress localAddress;
  private final @Nullable KernelDrops drops;
  private volatile @Nullable OptionalLong dropsAtClose;

  private UdpAcceptor(List<DatagramChannel> channels, int maxDatagramSize, Traffic counters, String name,
      Runnable afterClose) throws IOException {
    this.maxDatagramSize = maxDatagramSize;
    this.counters = counters;
    this.name = name;
    this.afterClose = afterClose;
    this.localAddress = (InetSocketAddress) channels.getFirst().getLocalAddress();
    this.lanes = new UdpLane[channels.size()];
    Selector all = null;
    try {
      for (int i = 0; i < lanes.length; i++) {
        lanes[i] = UdpLane.open(this, channels.get(i), maxDatagramSize);
      }
      if (lanes.length > 1) {
        all = Selector.open();
        for (DatagramChannel c : channels) {
          c.register(all, SelectionKey.OP_READ);
        }
      }
    } catch (IOException | RuntimeException e) {
      for (UdpLane lane : lanes) {
        if (lane != null) {
          lane.closeReceiving();
        }
      }
      if (all != null) {
        closeQuietly(all);
      }
      throw e;
    }
    this.any = all;
    this.drops = KernelDrops.find(localAddress, lanes.length);
  }

  /**
   * Takes ownership of bound {@code channels} (one, or several of one SO_REUSEPORT group on the
   * same address) and prepares to receive from them; {@code afterClose} runs once they are closed
   * (an inherited channel's standard streams given back). On failure the channels are closed and
   * {@code afterClose} run.
   */
  static UdpAcceptor open(
      List<DatagramChannel> channels, int maxDatagramSize, Traffic counters, String name, Runnable afterClose)
      throws IOException {
    try {
      return new UdpAcceptor(channels, maxDatagramSize, counters, name, afterClose);
    } catch (IOException | RuntimeException e) {
      channels.forEach(UdpAcceptor::closeQuietly);
      afterClose.run();
      throw e;
    }
  }

  @Override
  public void attach(Server s) {
    this.server = s;
  }

  @Nullable Server server() {
    return server;
  }

  Traffic counters() {
    return counters;
  }

  int maxDatagramSize() {
    return maxDatagramSize;
  }

  @Override
  public int lanes() {
    return lanes.length;
  }

  @Override
  public @Nullable Datagram accept(int lane, long timeoutNanos) throws IOException {
    return lanes[lane].accept(timeoutNanos);
  }

  @Override
  public @Nullable Datagram accept(long timeoutNanos) throws IOException {
    Selector all = any;
    if (all == null) {
      return lanes[0].accept(timeoutNanos);
    }
    Datagram d = receiveAny();
    if (d == null && timeoutNanos != 0) {
      select(all, timeoutNanos);
      d = receiveAny();
    }
    return d;
  }

  // From the lane after the one that gave the last, so a busy socket cannot starve the others.
  private @Nullable Datagram receiveAny() throws IOException {
    int start = nextLane.getAndIncrement();
    for (int i = 0; i < lanes.length; i++) {
      Datagram d = lanes[Math.floorMod(start + i, lanes.length)].receive();
      if (d != null) {
        return d;
      }
    }
    return null;
  }

  /** Waits on {@code selector} up to {@code timeoutNanos} (negative: for ever). */
  static void select(Selector selector, long timeoutNanos) throws IOException {
    if (timeoutNanos < 0) {
      selector.select();
    } else {
      selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos + 999_999)));
    }
    selector.selectedKeys().clear();
  }

  @Override
  public void verify(Datagram request) throws FrameTooLongException {
    if (((UdpDatagram) request).isTooLong()) {
      throw new FrameTooLongException(
          "datagram from " + request.sender(), maxDatagramSize + 1L, false, maxDatagramSize);
    }
  }

  IOException stopped(UdpDatagram to) {
    return new IOException("the server " + name + " was stopped: no reply sent to " + to.sender());
  }

  @Override
  public void wakeup() {
    for (UdpLane lane : lanes) {
      lane.wakeup();
    }
    Selector all = any;
    if (all != null) {
      all.wakeup();
    }
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
    UdpDatagram d = (UdpDatagram) request;
    d.abort();
    if (d.socket() instanceof UdpLane lane) {
      lane.wakeSender();
    }
  }

  /** Stops receiving; the channels stay open for the replies of requests in flight. */
  @Override
  public void closeListener() {
    for (UdpLane lane : lanes) {
      lane.closeReceiving();
    }
    Selector all = any;
    if (all != null) {
      closeQuietly(all);
    }
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
    for (UdpLane lane : lanes) {
      lane.close();
    }
    afterClose.run();
  }

  /**
   * Joins {@code group} on {@code nif}, or returns the key of that membership if it exists. Only
   * with one socket: each of several would receive every datagram of the group.
   */
  java.nio.channels.MembershipKey join(java.net.InetAddress group, java.net.NetworkInterface nif)
      throws IOException {
    return lanes[0].channel().join(group, nif);
  }

  /** Returns the kernel's drops for the sockets so far; empty where they cannot be seen. */
  OptionalLong kernelDrops() {
    OptionalLong atClose = dropsAtClose;
    if (atClose != null) {
      return atClose;
    }
    KernelDrops d = drops;
    return d == null ? OptionalLong.empty() : d.read();
  }

  static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.debug("Closing {} failed", c, e);
    }
  }
}
