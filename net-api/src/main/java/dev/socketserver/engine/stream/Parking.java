package dev.socketserver.engine.stream;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Where a connection's reader and writer wait: the connection's lock, the thread waiting on each
 * side, and their deadlines, which the poller's sweep enforces.
 *
 * <p>The one thread reading (writing) parks itself and names itself here, so a signal is one
 * unpark and a wait allocates nothing (a Condition allocates a node per await). A second thread
 * waiting on the same side at once (a misuse, but legal) waits on the crowd condition, created
 * then, which every signal wakes. A waiter with a timeout parks without one and names its
 * deadline (System.nanoTime(); 0: none); the sweep wakes it once the deadline passed: a timed
 * park costs a JDK timer per wait, 3.7 us of server CPU per round trip of a 64-byte echo, as much
 * as the rest of the round trip.
 *
 * <p>Thread-safety: the fields are guarded by {@link #lock}; the deadlines are also read without
 * it by the sweep.
 */
final class Parking {
  final ReentrantLock lock = new ReentrantLock();
  private final Poller poller;
  private @Nullable Thread reader; // guarded by lock
  private @Nullable Thread writer; // guarded by lock
  private @Nullable Condition crowd; // guarded by lock
  private volatile long readDeadline;
  private volatile long writeDeadline;

  Parking(Poller poller) {
    this.poller = poller;
  }

  /** Wakes the reader (or the writer); lock held. */
  void signal(boolean reading) {
    Thread waiter = reading ? reader : writer;
    if (waiter != null) {
      LockSupport.unpark(waiter);
    }
    Condition c = crowd;
    if (c != null) {
      c.signalAll();
    }
  }

  /** Wakes whoever waits past its deadline at {@code now}; from the poller's sweep. */
  void wakeExpired(long now) {
    long rd = readDeadline;
    long wd = writeDeadline;
    if ((rd != 0 && now - rd >= 0) || (wd != 0 && now - wd >= 0)) {
      lock.lock();
      try {
        if (readDeadline != 0 && now - readDeadline >= 0) {
          signal(true); // it finds its time up and throws SocketTimeoutException
        }
        if (writeDeadline != 0 && now - writeDeadline >= 0) {
          signal(false);
        }
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * Waits, with the lock held on entry and on return, until signalled, interrupted or {@code nanos}
   * pass (0: no time limit; the poller's sweep notices the deadline within an eighth of
   * {@code nanos}, 5 ms to 1 s, and wakes the thread); may return early for no reason, so callers
   * re-check their state. Returns the nanoseconds left, as {@link Condition#awaitNanos} does.
   */
  long await(boolean reading, long nanos) throws InterruptedException {
    Thread me = Thread.currentThread();
    Thread other = reading ? reader : writer;
    if (other != null && other != me) {
      Condition queued = crowd;
      if (queued == null) {
        crowd = queued = lock.newCondition();
      }
      if (nanos == 0) {
        queued.await();
        return 0;
      }
      return queued.awaitNanos(nanos);
    }
    long start = nanos == 0 ? 0 : System.nanoTime();
    long deadline = nanos == 0 ? 0 : nonZero(start + nanos);
    if (reading) {
      reader = me;
      readDeadline = deadline;
    } else {
      writer = me;
      writeDeadline = deadline;
    }
    if (nanos != 0) {
      poller.sweepWithin(nanos); // the sweep, not a timer, wakes this thread at the deadline
    }
    lock.unlock();
    try {
      LockSupport.park(this);
    } finally {
      lock.lock();
      if (reading) {
        reader = null;
        readDeadline = 0;
      } else {
        writer = null;
        writeDeadline = 0;
      }
    }
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
    return nanos == 0 ? 0 : nanos - (System.nanoTime() - start);
  }

  /** A deadline as {@link #readDeadline} holds it: 0 means none, so 0 itself becomes 1. */
  private static long nonZero(long nanoTime) {
    return nanoTime == 0 ? 1 : nanoTime;
  }
}
