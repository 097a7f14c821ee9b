package dev.socketserver.engine.prefork;

import dev.socketserver.api.Server;
import dev.socketserver.api.testing.LifecycleContract;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Timeout;

/**
 * The supervisor of a {@code processes(n)} server goes through the lifecycle every server does:
 * the whole {@link LifecycleContract}, over a supervisor of one real worker process
 * ({@link LifecycleWorkerMain}, a small JVM serving a fake server), started on 127.0.0.1, port 0.
 */
@Timeout(120)
class SupervisorLifecycleTest extends LifecycleContract {

  @Override
  protected Server newServer(Runnable timeoutHook) throws IOException {
    ServerSocketChannel socket = ServerSocketChannel.open();
    try {
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return Supervisor.start(
          "lifecycle", 0, 1, Prefork.Reserved.by(socket), Duration.ofSeconds(5),
          Duration.ofSeconds(5), timeoutHook, workerCommand());
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /** Each server starts a JVM: fewer at once than for servers of one process. */
  @Override
  protected int serversAtOnce() {
    return 3;
  }

  /** This test JVM's classes and libraries, on a class path, running the worker's main class. */
  private static List<String> workerCommand() {
    String java = ProcessHandle.current().info().command()
        .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> path = new ArrayList<>();
    for (String property : List.of("jdk.module.path", "java.class.path")) {
      String value = System.getProperty(property, "");
      if (!value.isEmpty()) {
        path.add(value);
      }
    }
    try {
      path.add(Path.of(LifecycleWorkerMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    return List.of(
        java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", String.join(File.pathSeparator, path),
        LifecycleWorkerMain.class.getName());
  }
}
