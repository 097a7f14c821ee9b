package dev.socketserver.engine.prefork;

import dev.socketserver.engine.telemetry.Logs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;

/**
 * The command line that starts this same program again, for a worker process.
 *
 * <p>The exact command line comes from {@link ProcessHandle.Info}: the {@code java} binary and
 * every argument after it (JVM options, {@code -cp}/{@code -p}, {@code -jar}/{@code -m}/main
 * class, program arguments), which on Linux is {@code /proc/self/cmdline}, so nothing is lost or
 * re-quoted; {@code JDK_JAVA_OPTIONS} and {@code JAVA_TOOL_OPTIONS} reach the worker through the
 * environment it inherits. Where the OS does not tell the arguments, the command is rebuilt from
 * the launcher's system properties ({@code jdk.module.path}, {@code jdk.module.main},
 * {@code java.class.path}, {@code sun.java.command}), which loses the JVM options and splits
 * arguments at spaces: a WARN says so. (The JVM options are also in {@code RuntimeMXBean}, but
 * that needs {@code java.management}, a module this library does not otherwise require.)
 */
final class WorkerCommand {
  private static final Logger log = Logs.get("dev.socketserver.Supervisor");

  private WorkerCommand() {}

  /**
   * Returns the command that starts this program again.
   *
   * @throws IllegalStateException if this process cannot tell how it was started
   */
  static List<String> ofThisProgram() {
    ProcessHandle.Info info = ProcessHandle.current().info();
    List<String> command = new ArrayList<>();
    command.add(info.command().orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    Optional<String[]> arguments = info.arguments();
    if (arguments.isPresent() && arguments.get().length > 0) {
      command.addAll(Arrays.asList(arguments.get()));
      return command;
    }
    String launched = System.getProperty("sun.java.command", "").strip();
    if (launched.isEmpty()) {
      throw new IllegalStateException(
          "cannot start worker processes: this JVM does not tell how it was started (no process"
              + " arguments, no sun.java.command); use another Concurrency policy");
    }
    String modulePath = System.getProperty("jdk.module.path");
    String classPath = System.getProperty("java.class.path", "");
    if (modulePath != null) {
      command.addAll(List.of("-p", modulePath));
    }
    if (!classPath.isEmpty()) {
      command.addAll(List.of("-cp", classPath));
    }
    // sun.java.command is "main.Class args", "app.jar args" or "module[/main.Class] args".
    List<String> words = Arrays.asList(launched.split(" +"));
    String main = words.getFirst();
    if (System.getProperty("jdk.module.main") != null) {
      command.add("-m");
    } else if (main.endsWith(".jar")) {
      command.add("-jar");
    }
    command.add(main);
    command.addAll(words.subList(1, words.size()));
    log.warn(
        "The OS does not tell this process's command line: workers start as {} (JVM options"
            + " are not passed on, and arguments are split at spaces)",
        command);
    return command;
  }
}
