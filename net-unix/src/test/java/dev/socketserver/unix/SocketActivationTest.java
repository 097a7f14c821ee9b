package dev.socketserver.unix;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Connection;
import dev.socketserver.engine.endpoint.InheritedListener;
import dev.socketserver.api.testing.ActivatedProcess;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * systemd socket activation: a Unix stream server serves descriptor 3 as systemd passes it (a
 * child JVM behind {@code systemd-socket-activate}), and everything that is not a listening
 * socket for this process is refused with a message saying what it is.
 */
@Timeout(90)
class SocketActivationTest {
  private static final InheritedListener.Activation ONE = new InheritedListener.Activation(1, 42, List.of("app"));

  @TempDir Path dir;

  @Test
  void aUnixStreamServerStartedBySocketActivationServesTheSocketItWasGiven() throws Exception {
    Path socket = dir.resolve("activated.sock");
    try (ActivatedProcess p = ActivatedProcess.activate(socket.toString(), ActivatedUnixServer.class, "");
        Connection c = ActivatedProcess.whenListening(() -> UnixClient.connect(socket))) {
      c.output().write("activated\n".getBytes(UTF_8));
      String reply = c.readLine(200);
      assertTrue(reply != null && reply.startsWith("pid ") && reply.endsWith(" activated"), reply);
      String out = p.exits(0);
      assertTrue(out.contains("closed"), "standard output still works after the server closed: " + out);
      assertTrue(Files.exists(socket), "the launcher's socket file is left to the launcher");
    }
  }

  @Test
  void listenFdsNamingADescriptorThatIsNotASocketFailsTheBuildSayingSo() throws Exception {
    try (ActivatedProcess p =
        ActivatedProcess.shell("LISTEN_PID=$$ LISTEN_FDS=1", ActivatedUnixServer.class, " 3</dev/null")) {
      String out = p.exits(2);
      assertTrue(out.contains("descriptor 3") && out.contains("is not a socket"), out);
    }
  }

  @Test
  void listenPidOfAnotherProcessFailsTheBuildNamingBothProcesses() throws Exception {
    try (ActivatedProcess p = ActivatedProcess.shell("LISTEN_PID=1 LISTEN_FDS=1", ActivatedUnixServer.class, "")) {
      String out = p.exits(2);
      assertTrue(out.contains("LISTEN_PID=1") && out.contains("another process") && out.contains("exec"), out);
    }
  }

  @Test
  void aDescriptorThatIsNotASocketIsRefused() throws Exception {
    assertTrue(refusal(libc -> libc.eventfd(libc.errnoSlot(Arena.global()), 0, Libc.EFD_CLOEXEC))
        .contains("is not a socket"));
  }

  @Test
  void aDatagramSocketIsRefusedNamingListenStream() throws Exception {
    String message = refusal(libc -> libc.socket(
        libc.errnoSlot(Arena.global()), Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0));
    assertTrue(message.contains("not a stream socket") && message.contains("ListenStream=")
        && message.contains("UdpServer.builder().inheritedChannel()"), message);
  }

  @Test
  void aStreamSocketThatDoesNotListenIsRefusedNamingAcceptNo() throws Exception {
    String message = refusal(libc -> libc.socket(
        libc.errnoSlot(Arena.global()), Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0));
    assertTrue(message.contains("does not listen") && message.contains("Accept=no"), message);
  }

  @Test
  void anIpDatagramSocketIsAcceptedForADatagramServer() throws Exception {
    Libc libc = Libc.get();
    MemorySegment slot = libc.errnoSlot(Arena.global());
    int fd = libc.socket(slot, Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
    assertTrue(fd >= 0, "the socket could not be made");
    try (Arena arena = Arena.ofConfined()) {
      SocketActivation.check(libc, arena, fd, ONE, DatagramChannel.class, false);
    } finally {
      libc.close(slot, fd);
    }
  }

  @Test
  void aStreamSocketIsRefusedForADatagramServerNamingTcpServer() throws Exception {
    String message = refusal(libc -> libc.socket(
        libc.errnoSlot(Arena.global()), Libc.AF_INET, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0),
        DatagramChannel.class, false);
    assertTrue(message.contains("is a stream socket") && message.contains("UdpServer cannot serve")
        && message.contains("TcpServer.builder().inheritedChannel()") && message.contains("ListenDatagram="),
        message);
  }

  @Test
  void aUnixDatagramSocketIsRefusedForAUdpServer() throws Exception {
    String message = refusal(libc -> libc.socket(
        libc.errnoSlot(Arena.global()), Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0),
        DatagramChannel.class, false);
    assertTrue(message.contains("Unix-domain datagram socket") && message.contains("UdpServer cannot"), message);
  }

  /** Makes a descriptor with libc. */
  @FunctionalInterface
  private interface Opener {
    int open(Libc libc);
  }

  /** Returns the message with which {@link SocketActivation#check} refuses {@code opener}'s descriptor to a Unix stream server. */
  private static String refusal(Opener opener) throws IOException {
    return refusal(opener, ServerSocketChannel.class, true);
  }

  /**
   * Returns the message with which {@link SocketActivation#check} refuses the descriptor
   * {@code opener} makes to a server of {@code kind} and family ({@code unix}).
   */
  private static String refusal(Opener opener, Class<?> kind, boolean unix) throws IOException {
    Libc libc = Libc.get();
    int fd = opener.open(libc);
    assertTrue(fd >= 0, "the descriptor could not be made");
    try (Arena arena = Arena.ofConfined()) {
      IOException e = assertThrows(IOException.class, () -> SocketActivation.check(libc, arena, fd, ONE, kind, unix));
      assertTrue(e.getMessage().startsWith("descriptor " + fd + " (the first socket systemd passed, named app"),
          e.getMessage());
      return e.getMessage();
    } finally {
      MemorySegment slot = libc.errnoSlot(Arena.global());
      libc.close(slot, fd);
    }
  }
}
