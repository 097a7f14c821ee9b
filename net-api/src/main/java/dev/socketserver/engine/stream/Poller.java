package dev.socketserver.engine.stream;

import dev.socketserver.engine.core.ChannelTimeouts;
import dev.socketserver.engine.telemetry.Logs;
import dev.socketserver.engine.telemetry.RateLimitedLog;

import java.io.IOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * Owns the readiness of many channels: one selector and one thread that calls each registered
 * channel's {@link Ready} back when it is ready. A server has several ({@link PollerGroup});
 * client connections share a group of their own ({@link #shared()}).
 *
 * <p>The poller runs on a virtual thread when it mostly wakes handler threads, so that the
 * threads it wakes are scheduled on the carrier it runs on (a hand-off within the scheduler, not
 * a wake-up from outside it). It runs on a platform thread when it answers the requests itself
 * (a {@linkplain dev.socketserver.api.Handlers#nonBlocking non-blocking} handler's turns): then
 * nothing waits in a carrier's queue, and a platform thread waits for readiness in the kernel's
 * {@code epoll_wait}, where a virtual thread's select parks and is resumed through the JDK's
 * master poller, a platform thread and a virtual one more to wake per idle spell (4 % more
 * server CPU per round trip of a 64-byte echo at 100 connections on one core). Keys
 * are cancelled and their channels closed only on the poller thread ({@link #execute}): a key
 * cancelled by another thread stays in the kernel's ready list until that thread has queued the
 * cancellation, and a poller spinning on it can keep that thread, a virtual thread blocked on the
 * selector's monitor, from ever running.
 *
 * <p>Each channel is registered once, for its whole life (no re-arming per read); interest
 * changes made from other threads take effect after {@link #wakeup()}. Thread-safe. The poller
 * is closed by its owner (a server, once terminated); the shared client pollers are never closed.
 */
public final class Poller implements AutoCloseable {
  private static final Logger log = Logs.get(Poller.class);

  /** Called on the poller thread when a channel is ready; must not block. */
  @FunctionalInterface
  public interface Ready {
    /** Handles readiness; {@code readyOps} as in {@link SelectionKey#readyOps()}. */
    void ready(int readyOps);
  }

  /** A registered channel with deadlines, checked by the poller's periodic sweep. */
  @FunctionalInterface
  public interface Expiring {
    /** Closes the channel if a deadline passed by {@code nowNanos}; must not block. */
    void expire(long nowNanos);
  }

  private static final int CHUNK = 32;
  /** A chunk of callbacks that takes longer than this is reported: someone blocked the poller. */
  static final long SLOW_CHUNK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  // Shared by every poller: one line per slow chunk at most, at a bounded rate in all.
  private static final RateLimitedLog slowChunks =
      new RateLimitedLog(log, Level.WARN, "Pollers held up by their callbacks");
  private static final long MIN_SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  private static final long MAX_SWEEP_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final Selector selector;
  // The keys the last select found ready; confined to the poller thread. Grows to the largest
  // batch, which the JDK's epoll selector bounds.
  private @Nullable SelectionKey[] ready = new SelectionKey[64];
  private int readyCount;
  private final Consumer<SelectionKey> collector = this::collect; // one, not one per select
  private final Thread thread;
  private final boolean virtual; // thread.isVirtual(), without the call per select
  // How often the sweep runs (0: never); only ever shortened, by sweepWithin.
  private volatile long sweepNanos;
  private volatile boolean closed;
  // Work for the poller thread, run before each select; run by the caller once it has stopped.
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private volatile boolean terminated;
  // Chunks of callbacks that took longer than SLOW_CHUNK_NANOS; written by the poller thread only.
  private volatile long heldUp;
  // Channels registered and not yet cancelled: what PollerGroup balances on.
  private final AtomicInteger load = new AtomicInteger();

  private Poller(String name, Duration sweepInterval, boolean platform) throws IOException {
    this.selector = Selector.open();
    this.sweepNanos = ChannelTimeouts.nanos(sweepInterval);
    Thread.Builder builder = platform ? Thread.ofPlatform().daemon(true) : Thread.ofVirtual();
    this.thread = builder.name(name).unstarted(this::run);
    this.virtual = !platform;
  }

  /** Opens a poller and starts its thread, a virtual one. */
  public static Poller start(String name) throws IOException {
    return start(name, Duration.ZERO, false);
  }

  /**
   * Opens a poller and starts its thread, which also calls every registered {@link Expiring}
   * about every {@code sweepInterval} ({@link Duration#ZERO}: never). One sweep per server, not a
   * timer per connection. The thread is a daemon platform thread if {@code platform} (for pollers
   * that answer requests themselves: see the class comment), else a virtual thread.
   */
  public static Poller start(String name, Duration sweepInterval, boolean platform)
      throws IOException {
    Poller p = new Poller(name, sweepInterval, platform);
    p.thread.start();
    return p;
  }

  /**
   * Returns a poller for a new client connection: the least loaded of the pollers shared by
   * client connections, one per available processor, started on first use.
   */
  public static Poller shared() {
    Poller[] ps = Shared.POLLERS;
    return ps.length == 1 ? ps[0] : ps[PollerGroup.leastLoaded(ps, Shared.START)];
  }

  /**
   * Registers {@code channel} (already non-blocking) with no interest yet; the caller attaches
   * its {@link Ready}, sets the interest, then calls {@link #wakeup()}.
   */
  public SelectionKey register(SelectableChannel channel) throws IOException {
    SelectionKey key = channel.register(selector, 0);
    load.incrementAndGet();
    return key;
  }

  /**
   * Says that a channel {@link #register} took is closing, once per channel, from any thread: it
   * no longer counts in {@link #load()} (its key is cancelled later, on the poller thread). Counted
   * when the close begins, not when the poller gets to the cancellation, so that connections
   * accepted in the meantime (a client closing a thousand connections and opening a thousand
   * more) are not steered away from the poller that is about to be freed.
   */
  public void closing() {
    load.decrementAndGet();
  }

  /** Returns how many times a chunk of callbacks held this poller up (see {@link #SLOW_CHUNK_NANOS}). */
  long heldUp() {
    return heldUp;
  }

  /** Returns how many channels are registered (not yet cancelled) now. */
  int load() {
    return load.get();
  }

  /**
   * Makes the sweep run at least about every {@code timeoutNanos / 8} (5 ms to 1 s), so that a
   * deadline of {@code timeoutNanos} registered with an {@link Expiring} is noticed within an
   * eighth of it. Cheap when the sweep is already that frequent: a volatile read.
   */
  public void sweepWithin(long timeoutNanos) {
    long wanted = Math.clamp(timeoutNanos / 8, MIN_SWEEP_NANOS, MAX_SWEEP_NANOS);
    long current = sweepNanos;
    if (current == 0 || wanted < current) {
      synchronized (this) {
        if (sweepNanos == 0 || wanted < sweepNanos) {
          sweepNanos = wanted;
        }
      }
      selector.wakeup(); // the loop takes the new interval
    }
  }

  /** True if the calling thread is this poller's. */
  boolean isCurrentThread() {
    return Thread.currentThread() == thread;
  }

  /** Makes interest changes made by other threads take effect now. */
  public void wakeup() {
    selector.wakeup();
  }

  /**
   * Runs {@code task} on the poller thread before its next select, or at once if called on it;
   * once the poller has stopped, on the calling thread. Tasks must not block. This is where keys
   * are cancelled and registered channels closed.
   */
  public void execute(Runnable task) {
    if (Thread.currentThread() == thread) {
      task.run();
      return;
    }
    tasks.add(task);
    if (terminated) {
      runTasks();
    } else {
      selector.wakeup();
    }
  }

  private void runTasks() {
    Runnable task;
    while ((task = tasks.poll()) != null) {
      try {
        task.run();
      } catch (RuntimeException e) {
        log.warn("Poller task failed on {}", thread.getName(), e);
      }
    }
  }

  /** Stops the poller thread and closes its selector, waiting briefly for the thread to end. */
  @Override
  public void close() {
    closed = true;
    selector.wakeup();
    if (Thread.currentThread() != thread) {
      try {
        thread.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void run() {
    try {
      long interval = sweepNanos;
      long nextSweep = System.nanoTime() + interval;
      while (!closed) {
        runTasks();
        int dispatched = 0;
        long latest = sweepNanos;
        if (latest != interval) { // shortened (or started) by sweepWithin
          long sooner = System.nanoTime() + latest;
          if (interval == 0 || sooner - nextSweep < 0) {
            nextSweep = sooner;
          }
          interval = latest;
        }
        if (interval == 0) {
          dispatched = selector.select(collector);
          dispatchCollected();
        } else {
          long wait = nextSweep - System.nanoTime();
          if (wait > 0) {
            dispatched =
                selector.select(collector, Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait)));
            dispatchCollected();
          }
          long now = System.nanoTime();
          if (now - nextSweep >= 0) {
            sweep(now);
            nextSweep = now + interval;
          }
        }
        if (dispatched > 0 && virtual) {
          // The handlers just woken wait in this carrier's queue: let them run (and answer) before
          // selecting again. Selecting at once mostly finds nothing yet, and then parks this
          // thread through the JDK's poller, whose master thread must wake to resume it when the
          // next batch arrives: a context switch per batch (6 278 in 4 s at 100 connections, about
          // a tenth of the throughput). After the yield the next batch has usually arrived, and
          // select takes it without parking.
          Thread.yield();
        }
      }
    } catch (IOException | RuntimeException | Error e) {
      if (!closed) {
        log.error("Poller {} stopped: {}", thread.getName(), e.toString(), e);
      }
    } finally {
      terminated = true;
      try {
        selector.close();
      } catch (IOException e) {
        log.debug("Closing selector of {} failed", thread.getName(), e);
      }
      runTasks();
    }
  }

  // The selector's key set is concurrent (registrations come from other threads); a key added
  // during the sweep may or may not be seen, and is checked by the next one.
  private void sweep(long now) {
    for (SelectionKey key : selector.keys()) {
      if (key.isValid() && key.attachment() instanceof Expiring expiring) {
        try {
          expiring.expire(now);
        } catch (RuntimeException e) {
          log.warn("Deadline check failed for {}", key.channel(), e);
        }
      }
    }
  }

  private void collect(SelectionKey key) {
    if (readyCount == ready.length) {
      ready = Arrays.copyOf(ready, readyCount * 2);
    }
    ready[readyCount++] = key;
  }

  /**
   * Calls back the keys the last select found ready, yielding (a virtual poller) every
   * {@link #CHUNK} of them so the
   * handlers they woke run (and give their buffers back) before the next ones are read: with a
   * thousand connections ready at once, reading all of them first spreads a batch over a
   * thousand pooled buffers, megabytes that no longer fit the cache by the time the handlers
   * write them out; in chunks the same few buffers are reused while hot.
   */
  private void dispatchCollected() {
    int n = readyCount;
    long chunkStart = System.nanoTime();
    for (int i = 0; i < n; i++) {
      SelectionKey key = ready[i];
      ready[i] = null;
      if (key != null) {
        dispatch(key);
      }
      if ((i + 1) % CHUNK == 0 || i + 1 == n) {
        checkChunk(chunkStart, i % CHUNK + 1);
        if (i + 1 < n && virtual) {
          Thread.yield();
          chunkStart = System.nanoTime();
        }
      }
    }
    readyCount = 0;
  }

  /**
   * Reports a chunk of {@code keys} callbacks that took longer than {@link #SLOW_CHUNK_NANOS}
   * since {@code start}: every channel of this poller waited meanwhile. Callbacks only read,
   * except a {@linkplain dev.socketserver.api.Handlers#nonBlocking non-blocking} handler's
   * turns, so that is almost always one that blocked (or a machine starved of CPU).
   */
  @SuppressWarnings("NonAtomicVolatileUpdate") // heldUp has one writer, this thread
  private void checkChunk(long start, int keys) {
    long took = System.nanoTime() - start;
    if (took > SLOW_CHUNK_NANOS) {
      heldUp++;
      slowChunks.log("Poller {} took {} ms to handle {} ready channel(s), over the {} ms a poller"
              + " may be held up: a handler given to Handlers.nonBlocking blocked or computed that"
              + " long (or the machine was starved of CPU), and every connection of this poller"
              + " waited meanwhile",
          thread.getName(), TimeUnit.NANOSECONDS.toMillis(took), keys,
          TimeUnit.NANOSECONDS.toMillis(SLOW_CHUNK_NANOS));
    }
  }

  private static void dispatch(SelectionKey key) {
    if (key.attachment() instanceof Ready ready) {
      try {
        ready.ready(key.readyOps());
      } catch (CancelledKeyException e) {
        // the selector was closed meanwhile (keys are cancelled on this thread only)
      } catch (RuntimeException e) {
        log.warn("Readiness callback failed for {}", key.channel(), e);
      }
    }
  }

  private static final class Shared {
    static final Poller[] POLLERS;
    static final AtomicInteger START = new AtomicInteger();

    static {
      int n = Math.max(1, Runtime.getRuntime().availableProcessors());
      POLLERS = new Poller[n];
      try {
        for (int i = 0; i < n; i++) {
          POLLERS[i] = start(n == 1 ? "socketserver-client-poller" : "socketserver-client-poller #" + i);
        }
      } catch (IOException e) {
        throw new ExceptionInInitializerError(e);
      }
    }
  }
}
