package dev.socketserver.examples;

import dev.socketserver.api.testing.Await;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A client load on a line echo server (or a balancer in front of some), every byte checked: short
 * sessions (connect, send one random line, read its echo, close) and long-lived connections (a
 * line every {@code pace}, each echo read before the next). A long-lived connection that sees a
 * clean end of stream between two exchanges (after a complete reply) reconnects and goes on: a
 * {@link Counts#reconnects() reconnect}, not a failure. A request sent and not echoed exactly (end
 * of stream, reset, truncated or wrong reply, no reply within the timeout), or a reset at any
 * time, is a {@link Counts#failed() failure}. Thread-safe; {@link #close} stops every thread it
 * started.
 */
final class EchoLoad implements AutoCloseable {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(10);
  private static final int SAMPLES = 10;

  /**
   * What the load counted; {@code failed} includes {@code resets} and {@code longLivedFailed} (those on
   * long-lived connections).
   */
  record Counts(long sent, long answered, long failed, long resets, long longLivedFailed, long reconnects,
      long refused, long connectFailed) {
    /** Failures in short sessions: {@code failed - longLivedFailed}. */
    long shortFailed() {
      return failed - longLivedFailed;
    }

    @Override
    public String toString() {
      return "sent " + sent + ", answered " + answered + ", failed " + failed + " (on long-lived connections "
          + longLivedFailed + ", resets " + resets + ")"
          + ", reconnects " + reconnects + ", connects refused " + refused + ", other connect failures "
          + connectFailed;
    }
  }

  private final InetSocketAddress target;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicInteger ids = new AtomicInteger();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong answered = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong resets = new AtomicLong();
  private final AtomicLong longLivedFailed = new AtomicLong();
  private final AtomicLong reconnects = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong connectFailed = new AtomicLong();
  private final Queue<String> samples = new ConcurrentLinkedQueue<>();

  EchoLoad(InetSocketAddress target) {
    this.target = target;
  }

  /** Starts {@code n} threads of short sessions, each pausing {@code pause} between two sessions. */
  synchronized void shortSessions(int n, Duration pause) {
    for (int i = 0; i < n; i++) {
      int id = ids.incrementAndGet();
      start("short-" + id, () -> {
        SplittableRandom random = new SplittableRandom(id);
        while (running.get()) {
          shortSession(id, random);
          if (!pause.isZero()) {
            LockSupport.parkNanos(pause.toNanos()); // the load's rate, not a wait for anything
          }
        }
      });
    }
  }

  /** Starts {@code n} long-lived connections, each sending a line every {@code pace}. */
  synchronized void longLived(int n, Duration pace) {
    for (int i = 0; i < n; i++) {
      int id = ids.incrementAndGet();
      start("long-" + id, () -> {
        SplittableRandom random = new SplittableRandom(id);
        while (running.get()) {
          longLivedConnection(id, random, pace);
        }
      });
    }
  }

  private void start(String name, Runnable loop) {
    Thread t = Thread.ofPlatform().name("echo-load-" + name).daemon().start(loop);
    threads.add(t);
  }

  private void shortSession(int id, SplittableRandom random) {
    try (Socket socket = connect()) {
      if (socket == null) {
        return;
      }
      byte[] request = request(id, random);
      exchange(socket, request, "short-" + id);
    } catch (IOException close) {
      // only close() can throw here: what mattered is counted
    }
  }

  private void longLivedConnection(int id, SplittableRandom random, Duration pace) {
    try (Socket socket = connect()) {
      if (socket == null) {
        return;
      }
      InputStream in = socket.getInputStream();
      while (running.get()) {
        // The pause between two requests is a read: it sees an end of stream (or a reset) at once.
        socket.setSoTimeout(Math.toIntExact(pace.toMillis()));
        int unexpected;
        try {
          unexpected = in.read();
        } catch (SocketTimeoutException quiet) {
          unexpected = -2;
        } catch (IOException e) {
          fail(isReset(e), "long-" + id + ": between requests: " + e);
          return;
        }
        if (unexpected == -1) {
          reconnects.incrementAndGet(); // a clean end after a complete reply: reconnect
          return;
        }
        if (unexpected >= 0) {
          fail(false, "long-" + id + ": a byte nobody asked for: " + unexpected);
          return;
        }
        if (!exchange(socket, request(id, random), "long-" + id)) {
          return;
        }
      }
    } catch (IOException close) {
      // only close() can throw here: what mattered is counted
    }
  }

  /** Connects to the target; returns null (and counts it) if that fails. */
  private Socket connect() {
    Socket socket = new Socket();
    try {
      socket.connect(target, Math.toIntExact(CONNECT_TIMEOUT.toMillis()));
      return socket;
    } catch (IOException e) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // it never connected
      }
      if (e instanceof ConnectException) {
        refused.incrementAndGet();
      } else {
        connectFailed.incrementAndGet();
        sample("connect: " + e);
      }
      return null;
    }
  }

  /** Sends {@code request}, reads its echo; returns whether it came back exactly (else counts a failure). */
  private boolean exchange(Socket socket, byte[] request, String who) {
    sent.incrementAndGet();
    try {
      socket.setSoTimeout(Math.toIntExact(REPLY_TIMEOUT.toMillis()));
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
      byte[] reply = socket.getInputStream().readNBytes(request.length);
      if (!Arrays.equals(request, reply)) {
        fail(false, who + ": " + (reply.length < request.length ? "truncated (" + reply.length + " of " + request.length + " bytes)"
            : "wrong reply") + " to " + text(request));
        return false;
      }
      answered.incrementAndGet();
      return true;
    } catch (IOException e) {
      fail(isReset(e), who + ": no reply to " + text(request) + ": " + e);
      return false;
    }
  }

  private static boolean isReset(IOException e) {
    return String.valueOf(e.getMessage()).contains("reset") || String.valueOf(e.getMessage()).contains("Broken pipe");
  }

  private void fail(boolean reset, String what) {
    failed.incrementAndGet();
    if (what.startsWith("long-")) {
      longLivedFailed.incrementAndGet();
    }
    if (reset) {
      resets.incrementAndGet();
    }
    sample(what);
  }

  private void sample(String what) {
    if (samples.size() < SAMPLES) {
      samples.add(what);
    }
  }

  /** A line {@code <id>-<random printable ASCII, 1..120 chars>\n}. */
  private static byte[] request(int id, SplittableRandom random) {
    StringBuilder line = new StringBuilder().append(id).append('-');
    int length = random.nextInt(1, 121);
    for (int i = 0; i < length; i++) {
      line.append((char) random.nextInt('!', '~' + 1));
    }
    return line.append('\n').toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static String text(byte[] request) {
    return "'" + new String(request, 0, request.length - 1, StandardCharsets.US_ASCII) + "'";
  }

  /** Waits until {@code more} requests than now have been answered; fails after {@code timeout}. */
  void awaitMoreAnswers(long more, Duration timeout) {
    long target = answered.get() + more;
    Await.until(more + " more answers (" + counts() + ")", timeout, () -> answered.get() >= target);
  }

  /** Returns the counts so far. */
  Counts counts() {
    return new Counts(sent.get(), answered.get(), failed.get(), resets.get(), longLivedFailed.get(), reconnects.get(),
        refused.get(), connectFailed.get());
  }

  /** Returns up to ten of the failures, described. */
  List<String> samples() {
    return List.copyOf(samples);
  }

  /** Stops the load and waits for its threads (each ends within the reply timeout). */
  @Override
  public synchronized void close() throws InterruptedException {
    running.set(false);
    for (Thread t : threads) {
      t.join(REPLY_TIMEOUT.plus(CONNECT_TIMEOUT).toMillis());
    }
  }
}
