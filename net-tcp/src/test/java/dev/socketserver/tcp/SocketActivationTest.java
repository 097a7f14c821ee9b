package dev.socketserver.tcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.socketserver.api.Connection;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * systemd socket activation end to end: {@code systemd-socket-activate} (Debian's systemd
 * package) listens on a loopback port and starts a child JVM with the socket as descriptor 3 and
 * {@code LISTEN_FDS=1}, exactly as systemd does.
 */
@Timeout(90)
class SocketActivationTest {
  private static final Path ACTIVATE = Path.of("/usr/bin/systemd-socket-activate");

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** The java command line that runs {@link ActivatedServer} with this test's classes. */
  private static String javaCommand() throws Exception {
    List<String> path = new ArrayList<>();
    for (String p : new String[] {System.getProperty("jdk.module.path"), System.getProperty("java.class.path")}) {
      if (p != null && !p.isEmpty()) {
        path.add(p);
      }
    }
    path.add(Path.of(ActivatedServer.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
    return "exec '" + Path.of(System.getProperty("java.home"), "bin", "java") + "' -cp '"
        + String.join(File.pathSeparator, path) + "' " + ActivatedServer.class.getName();
  }

  /** Starts the child behind systemd-socket-activate; {@code redirect} is the shell's redirection. */
  private static Process activate(int port, String redirect) throws Exception {
    assumeTrue(Files.isExecutable(ACTIVATE), "systemd-socket-activate is not installed (Debian package systemd)");
    return new ProcessBuilder(ACTIVATE.toString(), "-l", "127.0.0.1:" + port, "/bin/sh", "-c", javaCommand() + redirect)
        .redirectErrorStream(true)
        .start();
  }

  private static Connection connectWhenListening(int port) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      try {
        return TcpClient.connect("127.0.0.1", port, Duration.ofSeconds(5));
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) {
          throw notYet;
        }
        Thread.onSpinWait();
      }
    }
  }

  private static void stop(Process p) throws InterruptedException {
    Stream.concat(p.descendants(), Stream.of(p.toHandle())).forEach(ProcessHandle::destroy);
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aServerStartedBySocketActivationServesOnTheSocketItWasGiven() throws Exception {
    int port = freePort();
    Process p = activate(port, " <&3");
    try (Connection c = connectWhenListening(port)) { // this connection triggers the start
      c.output().write("activated\n".getBytes(UTF_8));
      String reply = c.readLine(200);
      assertTrue(reply != null && reply.startsWith("pid ") && reply.endsWith(" activated"), reply);
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the child serves one request and exits");
      assertEquals(0, p.exitValue());
    } finally {
      stop(p);
    }
  }

  @Test
  void withoutTheSocketOnStandardInputTheBuildSaysHowToFixIt() throws Exception {
    int port = freePort();
    Process p = activate(port, "");
    try (Connection _ = connectWhenListening(port)) {
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      String out = new String(p.getInputStream().readAllBytes(), UTF_8);
      assertEquals(2, p.exitValue(), out);
      assertTrue(out.contains("LISTEN_FDS=1") && out.contains("StandardInput=socket"), out);
    } finally {
      stop(p);
    }
  }
}
