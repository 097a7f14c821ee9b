package dev.socketserver.api.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.List;

/**
 * What a server can leak — open file descriptors, its own platform threads, request objects —
 * and how to wait for them to be released. A snapshot is taken before a test's server is built;
 * {@link Snapshot#awaitRestored} then waits, without guessing a delay, until the process is back
 * to it.
 */
public final class Leaks {
  private Leaks() {}

  /**
   * The platform threads a server starts are named {@code socketserver-...}; the client poller is
   * shared by every client and lives as long as the JVM, so it is not a server's leak.
   */
  private static final String SERVER_THREADS = "socketserver-";

  private static final String SHARED_CLIENT_POLLER = "socketserver-client-poller";

  /** Open descriptors and live server threads at one instant. */
  public record Snapshot(long descriptors, long serverThreads) {

    /** Waits until no more descriptors and server threads are live than in this snapshot. */
    public void awaitRestored(Duration timeout) {
      Await.until(
          "back to " + this + " (now " + snapshot() + "; open: " + Descriptors.describe() + ")",
          timeout,
          () -> {
            Snapshot now = snapshot();
            return now.descriptors <= descriptors && now.serverThreads <= serverThreads;
          });
    }
  }

  /**
   * Returns the current counts. The first call starts the JDK's I/O pollers for virtual threads,
   * which open descriptors on first use and keep them for the life of the JVM: a virtual thread
   * blocking on a socket after the snapshot must not look like a leak.
   */
  public static Snapshot snapshot() {
    warmJdkPollers();
    return new Snapshot(Descriptors.open(), serverThreads());
  }

  /** Something that warms a transport up: a first server, a first exchange. */
  @FunctionalInterface
  public interface WarmUp {
    /** Runs the warm-up, closing whatever it opened. */
    void run() throws Exception;
  }

  /**
   * Runs {@code warmUp} (so classes, native links and JVM-wide pollers that live as long as the
   * JVM exist before the snapshot), waits until what it opened is gone, and returns the baseline.
   */
  public static Snapshot baselineAfter(WarmUp warmUp, Duration timeout) throws Exception {
    warmUp.run();
    Snapshot before = snapshot();
    before.awaitRestored(timeout);
    return before;
  }

  private static boolean pollersWarm; // guarded by Leaks.class

  /** Parks one virtual thread in a blocking read, once: that starts the JDK's pollers. */
  private static synchronized void warmJdkPollers() {
    if (pollersWarm) {
      return;
    }
    try {
      Pipe pipe = Pipe.open();
      try (Pipe.SourceChannel source = pipe.source(); Pipe.SinkChannel sink = pipe.sink()) {
        Thread reader = Thread.ofVirtual().start(() -> readOne(source));
        Await.until("the reader parks", Duration.ofSeconds(10),
            () -> reader.getState() == Thread.State.WAITING);
        sink.write(ByteBuffer.wrap(new byte[1]));
        reader.join();
      }
      pollersWarm = true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void readOne(Pipe.SourceChannel source) {
    try {
      source.read(ByteBuffer.allocate(1));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Returns how many platform threads named after a server are alive. */
  public static long serverThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .map(Thread::getName)
        .filter(n -> n.startsWith(SERVER_THREADS) && !n.startsWith(SHARED_CLIENT_POLLER))
        .count();
  }

  /**
   * Waits until the garbage collector has cleared every reference in {@code refs}: the objects
   * they point to (connections, handler threads) are retained by nothing. Asks for a collection
   * between polls.
   */
  public static void awaitCollected(String what, List<? extends WeakReference<?>> refs, Duration timeout) {
    Await.until(
        what + " collected",
        timeout,
        () -> {
          System.gc();
          return refs.stream().allMatch(r -> r.get() == null);
        });
  }
}
