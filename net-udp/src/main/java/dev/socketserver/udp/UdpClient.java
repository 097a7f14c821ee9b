package dev.socketserver.udp;

import dev.socketserver.api.Datagram;
import dev.socketserver.api.Server;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * A UDP socket for talking to datagram servers: Python's {@code socket.sendto} and
 * {@code recvfrom} with a timeout, plus {@link #request} for one request and its reply. Received
 * datagrams are the same {@link Datagram}s a server's handler gets; their {@code reply} answers
 * from this client's socket.
 *
 * {@snippet :
 * try (UdpClient client = UdpClient.open()) {
 *     Datagram reply = client.request(new InetSocketAddress("localhost", 3130),
 *             "hello".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(2));
 *     String text = new String(reply.bytes(), StandardCharsets.UTF_8);
 * }
 * }
 *
 * <p>Nothing is ever cut: the client receives into a buffer larger than any UDP payload.
 *
 * <p>Thread-safe: sends may run concurrently with each other and with a receive; receives
 * ({@link #receive} and {@link #request}) run one at a time, so concurrent requests on one client
 * can take each other's replies: give each concurrent conversation its own client. Interrupting a
 * thread blocked in a receive closes the client (the JDK's rule for interruptible channels).
 *
 * <p>Who closes it: the caller, with {@link #close()}; closing it again does nothing.
 */
public final class UdpClient implements AutoCloseable {
  /** Larger than the largest UDP payload (65 527 bytes over IPv6 without jumbograms). */
  private static final int RECEIVE_BUFFER = 65_536;

  private final DatagramChannel channel;
  private final InetSocketAddress localAddress;
  private final UdpDatagram.Socket replies;
  private final ReentrantLock receiving = new ReentrantLock();
  private final byte[] buffer = new byte[RECEIVE_BUFFER]; // guarded by receiving

  private UdpClient(DatagramChannel channel) throws IOException {
    this.channel = channel;
    this.localAddress = (InetSocketAddress) channel.getLocalAddress(); // bound to an IP address
    this.replies =
        new UdpDatagram.Socket() {
          @Override
          public void reply(UdpDatagram to, ByteBuffer data) throws IOException {
            channel.send(data, to.sender());
          }

          @Override
          public SocketAddress localAddress() {
            return localAddress;
          }

          @Override
          public @Nullable Server server() {
            return null;
          }
        };
  }

  /** Opens a client on a free port of every interface, able to reach IPv4 and IPv6 servers. */
  public static UdpClient open() throws IOException {
    return open(new InetSocketAddress(0));
  }

  /**
   * Opens a client bound to {@code local}, for example {@code new InetSocketAddress("::1", 0)}.
   *
   * @throws java.net.BindException if {@code local} cannot be bound
   */
  public static UdpClient open(InetSocketAddress local) throws IOException {
    if (local.isUnresolved()) {
      throw new UnknownHostException("cannot bind UDP client: host " + local.getHostString() + " does not resolve");
    }
    DatagramChannel channel = DatagramChannel.open();
    try {
      channel.bind(local);
      return new UdpClient(channel);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Returns the address this client sends from and receives on. */
  public InetSocketAddress localAddress() {
    return localAddress;
  }

  /**
   * Sends {@code data} (from its position to its limit, which it consumes) to {@code to} in one
   * datagram.
   *
   * @throws IOException if it cannot be sent, for example because it is larger than UDP allows
   */
  public void send(InetSocketAddress to, ByteBuffer data) throws IOException {
    Objects.requireNonNull(to, "to");
    channel.send(data, to);
  }

  /** Sends {@code data} to {@code to} in one datagram; as {@link #send(InetSocketAddress, ByteBuffer)}. */
  public void send(InetSocketAddress to, byte[] data) throws IOException {
    send(to, ByteBuffer.wrap(data));
  }

  /**
   * Waits at most {@code timeout} for the next datagram from anyone.
   *
   * @throws SocketTimeoutException if none came in time
   * @throws IllegalArgumentException if {@code timeout} is negative or zero
   */
  public Datagram receive(Duration timeout) throws IOException {
    long nanos = positiveNanos(timeout);
    receiving.lock();
    try {
      return receive(System.nanoTime() + nanos, timeout);
    } finally {
      receiving.unlock();
    }
  }

  /**
   * Sends {@code request} to {@code server} and waits at most {@code timeout} for a datagram from
   * it, which it returns; datagrams from anyone else that arrive meanwhile are dropped.
   *
   * <p>UDP does not pair replies with requests: a late reply to an earlier request to the same
   * server is taken as this one's. Put an id in the payload if that matters. A {@code server}
   * given as the wildcard address matches replies from any address on its port.
   *
   * @throws SocketTimeoutException if no reply came in time (the request or the reply may have
   *     been lost: UDP does not say which, nor retry)
   * @throws IllegalArgumentException if {@code timeout} is negative or zero
   */
  public Datagram request(InetSocketAddress server, byte[] request, Duration timeout) throws IOException {
    long nanos = positiveNanos(timeout);
    receiving.lock();
    try {
      long deadline = System.nanoTime() + nanos;
      send(server, request);
      while (true) {
        Datagram d = receive(deadline, timeout);
        if (isFrom(server, d.sender())) {
          return d;
        }
      }
    } finally {
      receiving.unlock();
    }
  }

  /** Closes the socket. A second close does nothing. */
  @Override
  public void close() throws IOException {
    channel.close();
  }

  @Override
  public String toString() {
    return "UdpClient[" + localAddress + "]";
  }

  // receiving held
  private Datagram receive(long deadline, Duration timeout) throws IOException {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new SocketTimeoutException("no datagram within " + timeout);
    }
    DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
    channel.socket().setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(left))));
    try {
      channel.socket().receive(packet);
    } catch (SocketTimeoutException e) {
      SocketTimeoutException better = new SocketTimeoutException("no datagram within " + timeout);
      better.initCause(e);
      throw better;
    }
    return UdpDatagram.of(
        Arrays.copyOf(buffer, packet.getLength()), packet.getSocketAddress(), replies);
  }

  private static boolean isFrom(InetSocketAddress server, SocketAddress sender) {
    return sender instanceof InetSocketAddress s
        && s.getPort() == server.getPort()
        && (server.getAddress() == null
            || server.getAddress().isAnyLocalAddress()
            || server.getAddress().equals(s.getAddress()));
  }

  private static long positiveNanos(Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    try {
      return timeout.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE / 2;
    }
  }
}
