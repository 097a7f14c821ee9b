package dev.socketserver.engine.core;

import dev.socketserver.api.Concurrency;
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

  /** Releases the dispatcher's threads, if it has any. */
  void close();

  static Dispatcher of(Concurrency policy, String serverName) {
    String prefix = "socketserver-handler " + serverName + " #";
    return switch (policy.mode()) {
      case SEQUENTIAL -> new Dispatcher() {
        @Override
        public void execute(Runnable task) {
          task.run();
        }

        @Override
        public void close() {}
      };
      case PLATFORM_THREADS ->
          threads(Thread.ofPlatform().daemon(policy.daemon()).name(prefix, 0).factory());
      // One name for all (no counter): a virtual thread per request, and numbering it cost a
      // formatted string each; the log's MDC names the client.
      case VIRTUAL_THREADS -> threads(Thread.ofVirtual().name("socketserver-handler " + serverName).factory());
      // A transport serves processes(n) through Prefork, which gives its workers perWorker().
      case PROCESSES -> throw new IllegalArgumentException("not a policy for one process: " + policy);
      case POOL -> {
        ExecutorService pool =
            Executors.newFixedThreadPool(
                policy.threads(),
                Thread.ofPlatform().daemon(policy.daemon()).name(prefix, 0).factory());
        yield new Dispatcher() {
          @Override
          public void execute(Runnable task) {
            pool.execute(task);
          }

          @Override
          public void close() {
            pool.shutdown();
          }
        };
      }
    };
  }

  private static Dispatcher threads(ThreadFactory factory) {
    return new Dispatcher() {
      @Override
      public void execute(Runnable task) {
        factory.newThread(task).start();
      }

      @Override
      public void close() {}
    };
  }
}
