package dev.socketserver.api.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Server;
import dev.socketserver.api.ServerMetrics;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A program serving with {@code Concurrency.processes(n)}, run as a child of the test JVM: there
 * it is the supervisor, and it starts its workers by running itself again, as any program would.
 * The JVMs are small ({@code -Xmx64m}, C1 only, serial GC) to spare the machine.
 *
 * <p>The program ({@code main}) builds its server and, where it is the supervisor, calls
 * {@link #serve(Server)}: that prints {@code port <n>}, then answers commands on standard input:
 * {@code metrics} prints {@code metrics <accepted> <active> <completed> <failed>}, {@code close}
 * closes the server and prints {@code closed <descendant processes left>}. Not thread-safe: one
 * test drives it; {@link #close()} kills what a failed test left behind.
 */
public final class SupervisorProcess implements AutoCloseable {
  /** The supervisor process. */
  public final Process process;
  /** Its log (standard error, its workers' included), line by line, also echoed to stderr. */
  public final BlockingQueue<String> log = new LinkedBlockingQueue<>();
  private final BufferedReader out;
  private final PrintStream in;

  /** Starts {@code main} with {@code args} as a child process. */
  public SupervisorProcess(Class<?> main, String... args) throws IOException {
    this(classPath(main), main, args);
  }

  /**
   * Starts {@code main} with {@code args} as a child process whose class path holds no SLF4J
   * provider (only {@code slf4j-api}), so that SLF4J falls back to its NOP logger there.
   */
  public static SupervisorProcess withoutLoggingProvider(Class<?> main, String... args) throws IOException {
    String classPath = Stream.of(classPath(main).split(File.pathSeparator))
        .filter(entry -> !isLoggingProvider(Path.of(entry).getFileName().toString()))
        .collect(Collectors.joining(File.pathSeparator));
    return new SupervisorProcess(classPath, main, args);
  }

  /** Whether a class path entry is an SLF4J provider (slf4j-simple, slf4j-nop, logback, ...). */
  private static boolean isLoggingProvider(String fileName) {
    return (fileName.startsWith("slf4j-") && !fileName.startsWith("slf4j-api")) || fileName.startsWith("logback-");
  }

  private SupervisorProcess(String classPath, Class<?> main, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElseThrow(),
        "-Xmx64m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", classPath, main.getName()));
    command.addAll(List.of(args));
    process = new ProcessBuilder(command).start();
    out = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8));
    in = new PrintStream(process.getOutputStream(), true, UTF_8);
    Thread.ofVirtual().start(() -> {
      try (var err = new BufferedReader(new InputStreamReader(process.getErrorStream(), UTF_8))) {
        for (String line; (line = err.readLine()) != null; ) {
          System.err.println("[child] " + line);
          log.add(line);
        }
      } catch (IOException e) {
        // the child is gone
      }
    });
  }

  /**
   * Returns a class path that runs {@code main} in a child JVM: the test JVM's module path and
   * class path, then {@code main}'s own classes.
   */
  static String classPath(Class<?> main) {
    return Stream.of(System.getProperty("jdk.module.path", ""), System.getProperty("java.class.path", ""), classes(main))
        .filter(s -> !s.isEmpty())
        .collect(Collectors.joining(File.pathSeparator));
  }

  /** The directory or jar of {@code main}: test classes are patched into a module, the child runs them on the class path. */
  private static String classes(Class<?> main) {
    String resource = main.getName().replace('.', '/') + ".class";
    String url = String.valueOf(main.getResource("/" + resource));
    return url.startsWith("file:") ? Path.of(url.substring(5, url.length() - resource.length())).toString() : "";
  }

  /** In the supervising program: prints the port, then answers the test's commands until {@code close}. */
  public static void serve(Server server) throws IOException {
    PrintStream out = new PrintStream(System.out, true, UTF_8);
    out.println("port " + ((InetSocketAddress) server.localAddress()).getPort());
    server.start();
    BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, UTF_8));
    for (String line; (line = commands.readLine()) != null && !line.equals("close"); ) {
      if (line.equals("metrics")) {
        ServerMetrics m = server.metrics();
        out.println("metrics " + m.accepted() + " " + m.active() + " " + m.completed() + " " + m.failed());
      }
    }
    server.close();
    out.println("closed " + ProcessHandle.current().descendants().count());
  }

  /** Sends a command to the supervisor. */
  public void send(String command) {
    in.println(command);
  }

  /** Returns the rest of the next line the supervisor prints, which must start with {@code prefix}. */
  public String expect(String prefix) throws IOException {
    String line = out.readLine();
    assertTrue(line != null && line.startsWith(prefix), "expected '" + prefix + "...', got: " + line);
    return line.substring(prefix.length()).strip();
  }

  /**
   * Waits until the summed counters read {@code accepted active completed failed} as
   * {@code expected} (a regular expression): workers publish them every 100 ms.
   */
  public void awaitMetrics(String expected) {
    Await.until("metrics " + expected, java.time.Duration.ofSeconds(20), () -> {
      send("metrics");
      try {
        return expect("metrics ").matches(expected);
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    });
  }

  /** Returns the port the supervisor printed first. */
  public int port() throws IOException {
    return Integer.parseInt(expect("port "));
  }

  /** Returns the pids of the supervisor's descendants: its workers. */
  public Set<Long> workers() {
    return process.descendants().map(ProcessHandle::pid).collect(Collectors.toSet());
  }

  /** Closes the server; returns how many descendants the supervisor had left after close(). */
  public long closeServer() throws Exception {
    send("close");
    long left = Long.parseLong(expect("closed "));
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the supervisor exits after close()");
    assertEquals(0, process.exitValue());
    return left;
  }

  /** Kills the supervisor and its workers, if a test left them running. */
  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }
}
