package dev.socketserver.api.testing;

import dev.socketserver.api.Datagram;
import dev.socketserver.api.RequestHandler;
import java.lang.ref.WeakReference;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The slow handler of the datagram flood tests: a flood datagram (first byte {@code 'F'}) waits
 * for a permit, released by a ticker at a fixed pace; any other datagram is echoed at once.
 * Every {@code sampleEvery}-th handler thread is sampled by a weak reference, to check that none
 * is retained. Thread-safe. The test closes it, which stops the ticker; a second close does
 * nothing.
 */
public final class PacedHandler implements RequestHandler<Datagram>, AutoCloseable {
  private final Semaphore pace = new Semaphore(0);
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
  private final ScheduledFuture<?> ticking;
  private final Queue<WeakReference<Thread>> sampled = new ConcurrentLinkedQueue<>();
  private final AtomicInteger handled = new AtomicInteger();
  private final int sampleEvery;

  /** Lets {@code perMillisecond} flood datagrams through each millisecond, from now on. */
  public PacedHandler(int perMillisecond, int sampleEvery) {
    this.sampleEvery = sampleEvery;
    this.ticking = ticker.scheduleAtFixedRate(() -> pace.release(perMillisecond), 0, 1, TimeUnit.MILLISECONDS);
  }

  /** Returns a flood datagram of {@code size} bytes. */
  public static byte[] flood(int size) {
    byte[] junk = new byte[size];
    junk[0] = 'F';
    return junk;
  }

  @Override
  public void handle(Datagram d) throws Exception {
    if (handled.incrementAndGet() % sampleEvery == 0) {
      sampled.add(new WeakReference<>(Thread.currentThread()));
    }
    if (d.payload().get(0) == 'F') {
      pace.acquire();
    } else {
      d.reply(d.payload());
    }
  }

  /** Returns how many datagrams reached the handler. */
  public int handled() {
    return handled.get();
  }

  /** Returns the sampled handler threads. */
  public List<WeakReference<Thread>> sampledThreads() {
    return List.copyOf(sampled);
  }

  @Override
  public void close() {
    ticking.cancel(false);
    ticker.shutdownNow();
  }
}
