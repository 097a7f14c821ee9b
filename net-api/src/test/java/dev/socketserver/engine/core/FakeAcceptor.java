package dev.socketserver.engine.core;

import dev.socketserver.api.Server;
import dev.socketserver.spi.Acceptor;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * An in-memory {@link Acceptor}: {@link #connect()} queues a {@link Request}, a pair of message
 * queues (client to server, server to client) that stands for a connection, and the core
 * accepts it, with no socket, no poller and no descriptor. Closing the listener refuses new
 * connections and ends those still queued, as a kernel resets its backlog. With several lanes,
 * connections are spread over them round-robin, as a kernel spreads them over the sockets of a
 * SO_REUSEPORT group. Thread-safe.
 */
final class FakeAcceptor implements Acceptor<FakeAcceptor.Request> {
  private static final AtomicInteger PORTS = new AtomicInteger(1);

  private final SocketAddress address;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  // Guarded by lock.
  private final Deque<Request> backlog = new ArrayDeque<>();
  private final int lanes;
  private final boolean[] wakeup; // per lane
  private int connected;
  private boolean closed;
  private boolean terminated;
  private volatile @Nullable Server server;
  /** How many times a request was described (for the log, the MDC). */
  final AtomicInteger described = new AtomicInteger();

  FakeAcceptor() {
    this(InetSocketAddress.createUnresolved("fake", nextPort()), 1);
  }

  static int nextPort() {
    return PORTS.getAndIncrement();
  }

  FakeAcceptor(SocketAddress address, int lanes) {
    this.address = address;
    this.lanes = lanes;
    this.wakeup = new boolean[lanes];
  }

  @Override
  public int lanes() {
    return lanes;
  }

  @Override
  public void attach(Server s) {
    server = s;
  }

  /** Opens a connection: the server accepts it next. */
  Request connect() throws IOException {
    lock.lock();
    try {
      if (closed) {
        throw new ConnectException("connection refused: " + address + " no longer listens");
      }
      Request r = new Request("client #" + backlog.size(), this, connected++ % lanes);
      backlog.add(r);
      changed.signalAll();
      return r;
    } finally {
      lock.unlock();
    }
  }

  boolean closed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  boolean isTerminated() {
    lock.lock();
    try {
      return terminated;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public @Nullable Request accept(long timeoutNanos) throws IOException {
    return take(-1, timeoutNanos);
  }

  @Override
  public @Nullable Request accept(int lane, long timeoutNanos) throws IOException {
    return take(lane, timeoutNanos);
  }

  /** The next request of {@code lane} (-1: of any lane). */
  private @Nullable Request take(int lane, long timeoutNanos) throws IOException {
    lock.lock();
    try {
      long left = timeoutNanos;
      while (next(lane) == null && !wokenUp(lane) && !closed) {
        if (timeoutNanos < 0) {
          changed.await();
        } else if (left <= 0) {
          break;
        } else {
          left = changed.awaitNanos(left);
        }
      }
      if (lane < 0) {
        java.util.Arrays.fill(wakeup, false);
      } else {
        wakeup[lane] = false;
      }
      Request r = closed ? null : next(lane);
      if (r != null) {
        backlog.remove(r);
      }
      return r;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("accept interrupted");
    } finally {
      lock.unlock();
    }
  }

  // lock held
  private @Nullable Request next(int lane) {
    for (Request r : backlog) {
      if (lane < 0 || r.lane == lane) {
        return r;
      }
    }
    return null;
  }

  // lock held
  private boolean wokenUp(int lane) {
    if (lane >= 0) {
      return wakeup[lane];
    }
    for (boolean w : wakeup) {
      if (w) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void wakeup() {
    lock.lock();
    try {
      java.util.Arrays.fill(wakeup, true);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public SocketAddress localAddress() {
    return address;
  }

  @Override
  public String describe(Request request) {
    described.incrementAndGet();
    return request.name;
  }

  @Override
  public void finish(Request request) {
    request.close();
  }

  @Override
  public void abort(Request request) {
    request.close();
  }

  @Override
  public void closeListener() {
    lock.lock();
    try {
      closed = true;
      backlog.forEach(Request::close);
      backlog.clear();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void terminated() {
    lock.lock();
    try {
      terminated = true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * One in-memory connection: messages each way, and an end of stream each way. The server's side
   * reads with {@link #read()} and writes with {@link #reply}; the client's side with {@link
   * #send}, {@link #receive} and {@link #finish()}. Closing it (the server finished or aborted
   * it) ends both directions: blocked reads on either side return end of stream or fail.
   * Thread-safe.
   */
  static final class Request {
    private static final String END = "\u0000end";

    final String name;
    final int lane;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    // Guarded by lock.
    private final Deque<String> toServer = new ArrayDeque<>();
    private final Deque<String> toClient = new ArrayDeque<>();
    private boolean closed;
    private final FakeAcceptor acceptor;

    Request(String name, FakeAcceptor acceptor, int lane) {
      this.name = name;
      this.lane = lane;
      this.acceptor = acceptor;
    }

    /** The server that accepted this request, as {@code Connection.server()} gives it. */
    Server server() {
      Server s = acceptor.server;
      if (s == null) {
        throw new IllegalStateException("not accepted by a built server");
      }
      return s;
    }

    /** On the server: the client's next message, null at the client's end of stream. */
    @Nullable String read() throws IOException {
      return take(toServer, true, -1);
    }

    /** On the server: answers the client. */
    void reply(String message) throws IOException {
      put(toClient, message, true);
    }

    /** On the client: sends a message. */
    void send(String message) throws IOException {
      put(toServer, message, false);
    }

    /** On the client: ends its stream. */
    void finish() throws IOException {
      put(toServer, END, false);
    }

    /** On the client: the next reply, null once the server closed; waits at most {@code nanos}. */
    @Nullable String receive(long nanos) throws IOException {
      return take(toClient, false, nanos);
    }

    void close() {
      lock.lock();
      try {
        closed = true;
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }

    private void put(Deque<String> queue, String message, boolean server) throws IOException {
      lock.lock();
      try {
        if (closed) {
          throw new IOException((server ? "connection closed by the server: " : "connection reset: ") + name);
        }
        queue.add(message);
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }

    private @Nullable String take(Deque<String> queue, boolean server, long nanos) throws IOException {
      lock.lock();
      try {
        long left = nanos;
        while (queue.isEmpty() && !closed) {
          if (nanos < 0) {
            changed.await();
          } else if (left <= 0) {
            throw new java.net.SocketTimeoutException("no reply in " + TimeUnit.NANOSECONDS.toMillis(nanos) + " ms");
          } else {
            left = changed.awaitNanos(left);
          }
        }
        String message = queue.poll();
        if (message == null) { // closed
          if (server) {
            throw new IOException("connection closed by the server: " + name);
          }
          return null;
        }
        return message.equals(END) ? null : message;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        if (closed) {
          throw new IOException("connection closed by the server: " + name, e);
        }
        throw new InterruptedIOException("read interrupted");
      } finally {
        lock.unlock();
      }
    }
  }
}
