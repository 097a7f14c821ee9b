package dev.socketserver.engine.prefork;

import dev.socketserver.engine.core.ServerCore;
import dev.socketserver.engine.telemetry.Counters;
import dev.socketserver.spi.Acceptor;

import dev.socketserver.api.Concurrency;
import dev.socketserver.api.Server;
import dev.socketserver.spi.ServerSettings;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.NetworkChannel;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * How a transport serves {@link Concurrency#processes(int)}: one call in its {@code build()}.
 *
 * {@snippet :
 * if (settings.concurrency() instanceof Concurrency.Processes policy) {
 *     return Prefork.build("tcp", settings, address, this::reservePort, this::bindWorker);
 * }
 * }
 *
 * <p>In the program's first process {@code build} returns a {@link Supervisor}, which starts the
 * workers: the same program again ({@link WorkerCommand}) with {@value Concurrency.Worker#VARIABLE}
 * set. In a worker the same {@code build} call sees that variable and returns the worker's own
 * server, built by the transport bound to the supervisor's resolved address with SO_REUSEPORT and
 * serving with the policy's {@link Concurrency.Processes#perWorker()}, linked to its supervisor
 * ({@link WorkerLink}).
 *
 * <p>Several servers. The processes servers of a program are numbered in the order their
 * {@code build()} runs, and a worker serves the server whose number its variable names. In that
 * worker the program's other processes servers are built <em>idle</em>: they bind nothing and
 * accept nothing, but have the whole lifecycle ({@code serveForever()} waits for
 * {@code shutdown()}), so a program that builds its servers and then serves them runs unchanged
 * in every worker. What it requires: the program builds its processes servers in the same order
 * each time it runs. Servers with other policies are built as usual in every worker, so a
 * program builds those only where {@link Concurrency#worker()} is empty.
 *
 * <p>The reservation. The supervisor must know the port before it starts the workers (port 0
 * resolved) and keep it for restarts, but must not hold a <em>listening</em> socket in the
 * workers' SO_REUSEPORT group: the kernel would hand it a share of the connections, which it
 * never accepts. So the transport supplies a socket that is bound but receives nothing: for TCP a
 * socket bound with SO_REUSEPORT that never listens (the kernel routes connections only to
 * listening sockets; with SO_REUSEADDR off, nobody outside the group can bind the port either,
 * even while every worker is down). A bound UDP socket receives whatever its group does, and
 * connecting it makes Linux stop spreading datagrams over the group, so UDP cannot hold its port
 * this way: it finds a free port with a socket it closes at once, and its workers hold the port
 * from then on. Stateless; thread-safe.
 */
public final class Prefork {
  private static final AtomicInteger BUILDS = new AtomicInteger();

  private Prefork() {}

  /** Finds the workers' address, port 0 resolved, and keeps it for them if the transport can. */
  @FunctionalInterface
  public interface Reservation {
    /** Returns the workers' address and what holds it for them (closed when the server terminates). */
    Reserved reserve(InetSocketAddress requested) throws IOException;
  }

  /**
   * The workers' address and the socket that holds it for them, receiving nothing.
   *
   * @param address the address the workers bind, port 0 resolved
   * @param holder what keeps the port; closed when the server terminates
   */
  public record Reserved(InetSocketAddress address, Closeable holder) {
    /** Returns the reservation held by {@code socket}, bound, and its address. */
    public static Reserved by(NetworkChannel socket) throws IOException {
      return new Reserved((InetSocketAddress) socket.getLocalAddress(), socket);
    }
  }

  /** Builds the server of one worker. */
  @FunctionalInterface
  public interface Worker<R> {
    /** Returns the server bound to {@code address} with SO_REUSEPORT, serving with {@code settings}. */
    Server build(ServerSettings<R> settings, InetSocketAddress address) throws IOException;
  }

  /**
   * Builds a processes server: the supervisor in the first process, the worker's server (or an
   * idle one, see the class comment) in a worker.
   *
   * @param transport names the transport in log lines, for example {@code "tcp"}
   * @throws IOException if the address cannot be reserved, or no worker started listening
   * @throws IllegalArgumentException if the settings' policy is not {@code processes(n)}
   */
  public static <R> Server build(
      String transport, ServerSettings<R> settings, InetSocketAddress requested,
      Reservation reservation, Worker<R> worker) throws IOException {
    if (!(settings.concurrency() instanceof Concurrency.Processes policy)) {
      throw new IllegalArgumentException("not a processes policy: " + settings.concurrency());
    }
    int key = BUILDS.getAndIncrement();
    Optional<WorkerEnvironment> env = WorkerEnvironment.current();
    if (env.isEmpty()) {
      return Supervisor.start(
          transport, key, policy.workers(), reservation.reserve(requested), settings.drainTimeout(),
          policy.heartbeatTimeout(), settings.timeoutHook(), WorkerCommand.ofThisProgram());
    }
    ServerSettings<R> inWorker = settings.withConcurrency(policy.perWorker());
    if (env.get().key() != key) {
      String name = transport + " " + requested + " (idle in worker process of server #" + env.get().key() + ")";
      return new ServerCore<>(name, inWorker, new IdleAcceptor<>(requested), new Counters());
    }
    Server server = worker.build(inWorker, env.get().address());
    try {
      WorkerLink.attach(server, env.get());
    } catch (IOException | RuntimeException e) {
      server.shutdownNow();
      throw e;
    }
    return server;
  }

  /**
   * Sets SO_REUSEPORT on {@code channel}, which every socket of a processes server needs.
   *
   * @throws IOException if this platform has no SO_REUSEPORT; the message says what to use
   */
  public static void reusePort(NetworkChannel channel) throws IOException {
    if (!channel.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
      throw new IOException(
          "Concurrency.processes(n) needs SO_REUSEPORT, which this platform ("
              + System.getProperty("os.name") + ") does not have: use Concurrency.virtualThreads(),"
              + " with which one process serves on every core");
    }
    channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
  }

  /** The acceptor of an idle server: accepts nothing, waits until woken or timed out. */
  private static final class IdleAcceptor<R> implements Acceptor<R> {
    private final SocketAddress address;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition woken = lock.newCondition();
    private boolean wakeup; // guarded by lock

    IdleAcceptor(SocketAddress address) {
      this.address = address;
    }

    @Override
    public @Nullable R accept(long timeoutNanos) throws IOException {
      lock.lock();
      try {
        long left = timeoutNanos < 0 ? TimeUnit.DAYS.toNanos(1) : timeoutNanos;
        while (!wakeup && left > 0) {
          left = woken.awaitNanos(left);
        }
        wakeup = false;
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void wakeup() {
      lock.lock();
      try {
        wakeup = true;
        woken.signalAll();
      } finally {
        lock.unlock();
      }
    }

    @Override
    public SocketAddress localAddress() {
      return address;
    }

    @Override
    public String describe(R request) {
      return String.valueOf(request);
    }

    @Override
    public void finish(R request) {}

    @Override
    public void abort(R request) {}

    @Override
    public void closeListener() {}

    @Override
    public void terminated() {}
  }
}
