package dev.socketserver.engine.core;

import dev.socketserver.api.Concurrency;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;

/**
 * Runs requests where a {@link Concurrency} policy says. Thread-safe; {@link #close()} is called
 * once, when no request is left.
 */
interface Dispatcher {

  /** Runs {@code task} now or soon. */
  void execute(Runnable task);

  /** Releases the dispatcher's threads, if it has any of its own. */
  void close();

  /**
   * Returns the policy a server core serves with in this process.
   *
   * @throws IllegalArgumentException if it is {@code processes(n)}
   */
  static Concurrency.InProcess inProcess(Concurrency policy) {
    return switch (policy) {
      case Concurrency.InProcess p -> p;
      // A transport serves processes(n) through Prefork, which gives its workers perWorker().
      case Concurrency.Processes p -> throw new IllegalArgumentException("not a policy for one process: " + p);
    };
  }

  static Dispatcher of(Concurrency.InProcess policy, String serverName) {
    String prefix = "socketserver-handler " + serverName + " #";
    return switch (policy) {
      case Concurrency.Sequential _ -> of(Runnable::run, () -> {});
      case Concurrency.PlatformThreads p -> threads(Thread.ofPlatform().daemon(p.daemon()).name(prefix, 0).factory());
      // One name for all (no counter): a virtual thread per request, and numbering it cost a
      // formatted string each; the log's MDC names the client.
      case Concurrency.VirtualThreads v -> threads(Thread.ofVirtual().name("socketserver-handler " + serverName).factory());
      case Concurrency.Pool p -> {
        ExecutorService pool =
            Executors.newFixedThreadPool(p.threads(), Thread.ofPlatform().daemon(p.daemon()).name(prefix, 0).factory());
        yield of(pool, pool::shutdown);
      }
      // The caller owns its executor: never shut down here.
      case Concurrency.OnExecutor e -> of(e.executor(), () -> {});
    };
  }

  private static Dispatcher threads(ThreadFactory factory) {
    return of(task -> factory.newThread(task).start(), () -> {});
  }

  private static Dispatcher of(Executor executor, Runnable close) {
    return new Dispatcher() {
      @Override
      public void execute(Runnable task) {
        executor.execute(task);
      }

      @Override
      public void close() {
        close.run();
      }
    };
  }
}
