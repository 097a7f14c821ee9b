package dev.socketserver.engine.core;

import static dev.socketserver.engine.core.RequestLog.log;

import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.spi.Acceptor;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.DrainReport;
import dev.socketserver.api.Server;
import dev.socketserver.api.ServerListener;
import dev.socketserver.api.ServerMetrics;
import dev.socketserver.spi.ServerSettings;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The {@link Server} every transport returns: the requests in flight, dispatched to the
 * concurrency policy, filtered, handled and finished, and shutdown. The transport supplies the
 * {@link Acceptor}; the {@link Lifecycle} holds the state and the serving thread, the {@link
 * AcceptLoop} accepts within the limit, the {@link RequestLog} says what happened.
 *
 * <p>Thread-safety: the in-flight list and count and the listener's state are guarded by the
 * lifecycle's lock; at most one thread serves (accepts) at a time, so only that thread increments
 * the in-flight count, and a slot it saw free stays free until it accepts (an acceptor with
 * several lanes has a thread per lane, each reserving its slot under the lock first: see
 * {@link AcceptLoop}).
 *
 * @param <R> the request type
 */
// inFlight is volatile for lock-free reads by metrics(); every write happens under the lock.
@SuppressWarnings("NonAtomicVolatileUpdate")
public final class ServerCore<R> implements Server, Lifecycle.Owner {
  private final String name;
  private final Acceptor<R> acceptor;
  private final Counters counters;
  private final Duration drainTimeout;
  private final boolean waitOnClose;
  private final Dispatcher dispatcher;
  private final boolean virtualLoop;
  private final Lifecycle lifecycle;
  private final ReentrantLock lock;
  private final RequestLog<R> requestLog;
  private final AcceptLoop<R> loop;
  // What every request shares, so a request holds one reference to it, as it held its server.
  private final ServedRequest.Context<R> requests;
  // The requests in flight: an intrusive list guarded by lock, linked and unlinked where the
  // in-flight count changes anyway (a concurrent set cost every request two hash updates).
  private @Nullable ServedRequest<R> first;
  private volatile int inFlight; // written under lock
  // Guarded by lock.
  private boolean listenerClosing;
  private boolean listenerClosed;

  /**
   * Creates the server over {@code acceptor}, which it then owns.
   *
   * @param name names the server in thread names and log lines, for example
   *     {@code "tcp /127.0.0.1:3130"}
   */
  public ServerCore(String name, ServerSettings<R> settings, Acceptor<R> acceptor, Counters counters) {
    this.name = name;
    this.acceptor = acceptor;
    this.counters = counters;
    this.drainTimeout = settings.drainTimeout();
    Concurrency.InProcess policy = Dispatcher.inProcess(settings.concurrency());
    this.waitOnClose = policy.waitOnClose();
    this.dispatcher = Dispatcher.of(policy, name);
    this.virtualLoop = policy instanceof Concurrency.VirtualThreads;
    this.lifecycle = new Lifecycle(name, log, this);
    this.lock = lifecycle.lock();
    this.requestLog = new RequestLog<>(acceptor, settings.errorHandler().orElse(null));
    this.loop = new AcceptLoop<>(name, this, lifecycle, acceptor, counters, requestLog, settings);
    this.requests = new ServedRequest.Context<>(acceptor, counters, requestLog,
        settings.filter().orElse(null), settings.handler(), virtualLoop, dispatcher, this::done);
    log.debug("Server {} bound, concurrency {}", name, settings.concurrency());
  }

  @Override
  public SocketAddress localAddress() {
    return acceptor.localAddress();
  }

  @Override
  public State state() {
    return lifecycle.state();
  }

  @Override
  public ServerMetrics metrics() {
    return counters.snapshot(inFlight);
  }

  @Override
  public void addListener(ServerListener listener) {
    counters.addListener(listener);
  }

  @Override
  public String toString() {
    return lifecycle.describe();
  }

  // ---- serving ----

  // Under virtualThreads() the loop itself runs on a virtual thread, whichever thread asked for
  // it: the handler threads it starts are then queued on its own carrier instead of being
  // submitted to the scheduler from outside it, a wake-up of another carrier each (the same
  // reason the poller is a virtual thread). The caller's thread only waits for the loop.

  @Override
  public void serveForever() {
    lifecycle.serveForever(loop::serve, virtualLoop);
  }

  @Override
  public Server start() {
    lifecycle.start(loop::serve, virtualLoop);
    return this;
  }

  @Override
  public boolean handleRequest(Duration timeout) {
    return loop.handleOne(timeout);
  }

  /** The serving thread leaves: the listener closes if the server stopped running meanwhile. */
  void exitServing() {
    if (lifecycle.exitServing()) {
      closeListenerOnce();
    }
  }

  /** Returns the number of requests in flight (exact under the lock). */
  int inFlight() {
    return inFlight;
  }

  // ---- requests ----

  /** Hands an accepted request to its thread; on the serving thread. */
  void dispatch(R request) {
    counters.accepted.increment();
    ServedRequest<R> task = new ServedRequest<>(requests, request);
    lock.lock();
    try {
      inFlight++;
      ServedRequest<R> next = first;
      task.next = next;
      if (next != null) {
        next.prev = task;
      }
      first = task;
    } finally {
      lock.unlock();
    }
    task.start();
  }

  private void done(ServedRequest<R> task) {
    boolean terminate;
    lock.lock();
    try {
      ServedRequest<R> prev = task.prev;
      ServedRequest<R> next = task.next;
      if (prev == null) {
        first = next;
      } else {
        prev.next = next;
      }
      if (next != null) {
        next.prev = prev;
      }
      task.prev = null;
      task.next = null;
      inFlight--;
      terminate = lifecycle.claimTermination();
    } finally {
      lock.unlock();
    }
    if (terminate) {
      lifecycle.terminate();
    }
  }

  // ---- shutdown ----

  @Override
  public void shutdown() {
    boolean nobodyServing;
    lock.lock();
    try {
      if (lifecycle.beginShutdown()) {
        log.debug("Server {} shutting down with {} request(s) in flight", name, inFlight);
      }
      nobodyServing = !lifecycle.serving();
    } finally {
      lock.unlock();
    }
    acceptor.wakeup();
    if (nobodyServing) {
      closeListenerOnce(); // else the serving thread closes it on its way out
    }
  }

  @Override
  public void shutdownNow() {
    shutdown();
    for (ServedRequest<R> task : inFlightRequests()) {
      if (task.stop()) {
        counters.cut.increment();
      }
    }
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return lifecycle.awaitTermination(timeout);
  }

  /**
   * True if the calling thread runs one of this server's handlers. A scan, not a scoped value
   * bound per request: it is asked only by close() and drain(), and a scoped value costs every
   * request an allocation and every parked handler three frames of stack.
   */
  @Override
  public boolean inHandler() {
    Thread me = Thread.currentThread();
    for (ServedRequest<R> task : inFlightRequests()) {
      if (task.thread == me || task.servesInline(me)) {
        return true;
      }
    }
    return false;
  }

  /** A snapshot of the requests in flight. */
  private List<ServedRequest<R>> inFlightRequests() {
    List<ServedRequest<R>> all = new ArrayList<>();
    lock.lock();
    try {
      for (ServedRequest<R> t = first; t != null; t = t.next) {
        all.add(t);
      }
    } finally {
      lock.unlock();
    }
    return all;
  }

  @Override
  public void close() {
    shutdown();
    if (inHandler()) {
      log.debug("close() from a handler of {}: shut down without waiting for itself", name);
      return;
    }
    if (!waitOnClose) {
      return;
    }
    try {
      drain(drainTimeout);
    } catch (InterruptedException e) {
      shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public DrainReport drain(Duration timeout) throws InterruptedException {
    lifecycle.refuseDrainInHandler();
    shutdown();
    // Unlike shutdown() alone, which lets every connection go on until its client ends it, a
    // drain asks long-lived connections to end at their next quiet message boundary.
    for (ServedRequest<R> task : inFlightRequests()) {
      acceptor.draining(task.request);
    }
    return lifecycle.drained(Server.super.drain(timeout), timeout);
  }

  private void closeListenerOnce() {
    lock.lock();
    try {
      if (listenerClosing) {
        return;
      }
      listenerClosing = true;
    } finally {
      lock.unlock();
    }
    acceptor.closeListener();
    lock.lock();
    try {
      listenerClosed = true;
    } finally {
      lock.unlock();
    }
    lifecycle.tryTerminate();
  }

  /** With the lock held: the listener is closed and no request is left. */
  @Override
  public boolean quiescent() {
    return listenerClosed && inFlight == 0;
  }

  /** Once, when the server terminates. */
  @Override
  public void release() {
    try {
      acceptor.terminated();
    } finally {
      dispatcher.close();
    }
  }
}
