package dev.socketserver.unix;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.socketserver.engine.endpoint.InheritedListener;
import dev.socketserver.engine.telemetry.Logs;
import dev.socketserver.engine.endpoint.SocketActivator;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channel;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;

/**
 * systemd socket activation: makes descriptor 3, the first listening socket systemd passed this
 * process, the JDK's {@link System#inheritedChannel()}, which the JDK builds from descriptor 0
 * only. The stream transports and UDP reach it through {@code inheritedChannel()} on their
 * builders ({@link InheritedListener#take}, which loads {@link Provider} as a service).
 *
 * <p>How: descriptor 3 is checked (a socket; for a stream server a listening stream socket of the
 * family it serves, for a UDP server an IP datagram socket), moved to 0 ({@code dup2}), the JDK is asked for its inherited channel (it takes a copy
 * of 0, once per JVM), and 0 is given back its own file; 3 is then closed, so the channel holds
 * the socket's only descriptor in this process. The JDK points descriptors 0, 1 and 2 at
 * {@code /dev/null} when it closes an inherited channel; copies of them are kept, and the
 * listener's {@code afterClose} puts them back, so standard output and error (the journal) still
 * work after the server closes.
 *
 * <p>Limits. The JDK adopts one inherited channel per JVM: one socket is served, descriptor 3; if
 * systemd passed more ({@code LISTEN_FDS > 1}) the others stay open and unserved, and a warning
 * says so. If {@code System.inheritedChannel()} was called before (it caches its answer forever),
 * adopting fails saying so. The variables stay set: Java's view of the environment is a copy
 * taken at start-up that native code cannot change, and {@code LISTEN_PID} already keeps child
 * processes from taking the sockets as theirs (the JDK does not pass them descriptors above 2).
 *
 * <p>Thread-safe: adoption is serialised, and happens at most once per process.
 */
final class SocketActivation {
  private static final Logger log = Logs.get(SocketActivation.class);
  private static final int FD = InheritedListener.FIRST_DESCRIPTOR;
  private static final Object LOCK = new Object();
  private static boolean adopted; // guarded by LOCK

  private SocketActivation() {}

  /**
   * The service {@link InheritedListener#take} loads (declared in module-info and in
   * {@code META-INF/services}); it must be public for that, and is visible only inside this
   * module, as its enclosing class.
   */
  public static final class Provider implements SocketActivator {
    /** Called by {@link java.util.ServiceLoader}. */
    public Provider() {}

    @Override
    public <C extends NetworkChannel> InheritedListener<C> adopt(
        InheritedListener.Activation activation, Class<C> kind, boolean unix) throws IOException {
      return SocketActivation.adopt(activation, kind, unix);
    }
  }

  /** Adopts descriptor 3; see {@link SocketActivator#adopt}. */
  static <C extends NetworkChannel> InheritedListener<C> adopt(
      InheritedListener.Activation activation, Class<C> kind, boolean unix) throws IOException {
    synchronized (LOCK) {
      if (adopted) {
        throw new IOException(
            "the listening socket systemd passed (descriptor 3, " + activation + ") was adopted"
                + " already by a server built earlier in this process, and the JDK adopts one socket"
                + " per process: build one server with inheritedChannel()");
      }
      Libc libc = Libc.get();
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment slot = libc.errnoSlot(arena);
        check(libc, arena, FD, activation, kind, unix);
        int[] saved = new int[3];
        for (int fd = 0; fd < saved.length; fd++) {
          saved[fd] = libc.dup(slot, fd); // -1 if it is not open: then it is left as the JDK leaves it
        }
        Channel channel;
        try {
          if (libc.dup2(slot, FD, 0) < 0) {
            throw libc.failure("dup2", "3, 0", libc.errno(slot));
          }
          try {
            channel = System.inheritedChannel();
          } finally {
            restore(libc, slot, saved[0], 0);
          }
        } catch (IOException | RuntimeException e) {
          closeAll(libc, slot, saved);
          throw e;
        }
        if (!kind.isInstance(channel)) {
          closeAll(libc, slot, saved);
          throw new IOException(
              "cannot adopt the listening socket systemd passed (descriptor 3, " + activation + "):"
                  + " System.inheritedChannel() was called in this process before (it answered "
                  + channel + ", and the JDK keeps its first answer), so build the server with"
                  + " inheritedChannel() before anything else asks for it");
        }
        C adoptedChannel = kind.cast(channel);
        libc.close(slot, FD); // the channel holds the socket now
        adopted = true;
        if (activation.fds() > 1) {
          log.warn(
              "systemd passed {} listening sockets ({}), and the JDK can adopt one per process:"
                  + " serving descriptor 3 ({}); descriptors 4..{} stay open and unserved (give each"
                  + " socket a service of its own)",
              activation.fds(), activation, describe(activation), FD + activation.fds() - 1);
        }
        log.debug("Adopted descriptor 3 ({}) as {}", describe(activation), adoptedChannel.getLocalAddress());
        return new InheritedListener<>(adoptedChannel, restoring(saved));
      }
    }
  }

  /**
   * Checks that {@code fd} is a socket of the kind ({@link ServerSocketChannel}: a listening
   * stream socket; {@link DatagramChannel}: a datagram socket) and family the server serves, before
   * anything is moved.
   *
   * @throws IOException saying what it is instead, and how systemd is told otherwise
   */
  static void check(
      Libc libc, Arena arena, int fd, InheritedListener.Activation activation, Class<?> kind, boolean unix)
      throws IOException {
    String what = "descriptor " + fd + " (" + describe(activation) + ", " + activation + ")";
    MemorySegment slot = libc.errnoSlot(arena);
    int type = intOption(libc, arena, slot, fd, Libc.SO_TYPE);
    if (type < 0) {
      int errno = libc.errno(slot);
      throw switch (errno) {
        case Libc.EBADF -> new IOException(what + " is not open: was it closed, or not passed on by a launcher?");
        case Libc.ENOTSOCK -> new IOException(what + " is not a socket");
        default -> libc.failure("getsockopt", what + ", SO_TYPE", errno);
      };
    }
    int domain = intOption(libc, arena, slot, fd, Libc.SO_DOMAIN);
    if (domain != Libc.AF_UNIX && domain != Libc.AF_INET && domain != Libc.AF_INET6) {
      throw new IOException(what + " is a socket of address family " + domain + ", not an IP or"
          + " Unix-domain one");
    }
    boolean isUnix = domain == Libc.AF_UNIX;
    if (kind == DatagramChannel.class) {
      if (type == Libc.SOCK_STREAM) {
        throw new IOException(what + " is a stream socket (from ListenStream=), which a "
            + (unix ? "Unix datagram server" : "UdpServer") + " cannot serve: use "
            + (isUnix ? "UnixStreamServer" : "TcpServer") + ".builder().inheritedChannel(), or"
            + " ListenDatagram= in the .socket unit");
      }
      if (type != Libc.SOCK_DGRAM) {
        throw new IOException(what + " is not a datagram socket (socket type " + type
            + "): datagram servers need ListenDatagram= in the .socket unit");
      }
      if (isUnix) {
        throw new IOException(what + " is a Unix-domain datagram socket, which a UdpServer cannot"
            + " serve, and which the JDK cannot adopt: serve a Unix datagram socket from a"
            + " UnixDatagramServer bound with bind(...), or pass this process an IP one"
            + " (ListenDatagram=127.0.0.1:PORT)");
      }
      return;
    }
    if (type != Libc.SOCK_STREAM) {
      throw new IOException(what + " is not a stream socket (socket type " + type
          + (type == Libc.SOCK_DGRAM
              ? ": a datagram socket, from ListenDatagram=, which UdpServer.builder().inheritedChannel()"
                  + " serves"
              : "")
          + "): stream servers need ListenStream= in the .socket unit");
    }
    if (intOption(libc, arena, slot, fd, Libc.SO_ACCEPTCONN) != 1) {
      throw new IOException(what + " is a stream socket that does not listen: a connection, as"
          + " Accept=yes passes? Set Accept=no in the .socket unit, so that this process gets the"
          + " listening socket and accepts its connections itself");
    }
    if (isUnix && !unix) {
      throw new IOException(what + " is a Unix-domain socket, which a TcpServer cannot serve: use"
          + " UnixStreamServer.builder().inheritedChannel()");
    }
    if (!isUnix && unix) {
      throw new IOException(what + " is an IP (TCP) socket, which a UnixStreamServer cannot serve: use"
          + " TcpServer.builder().inheritedChannel()");
    }
  }

  /** Returns {@code fd}'s {@code int} option at SOL_SOCKET level, or -1 with errno in {@code slot}. */
  private static int intOption(Libc libc, Arena arena, MemorySegment slot, int fd, int option) {
    MemorySegment value = arena.allocate(JAVA_INT);
    MemorySegment length = arena.allocateFrom(JAVA_INT, (int) JAVA_INT.byteSize());
    return libc.getsockopt(slot, fd, Libc.SOL_SOCKET, option, value, length) < 0 ? -1 : value.get(JAVA_INT, 0);
  }

  /** Names descriptor 3 for messages: {@code "the first socket systemd passed, named web"}. */
  private static String describe(InheritedListener.Activation activation) {
    String name = activation.name(0);
    return "the first socket systemd passed" + (name.isEmpty() ? "" : ", named " + name);
  }

  /** Returns the listener's {@code afterClose}: puts the standard streams back, once. */
  private static Runnable restoring(int[] saved) {
    AtomicBoolean done = new AtomicBoolean();
    return () -> {
      if (done.compareAndSet(false, true)) {
        try (Arena arena = Arena.ofConfined()) {
          Libc libc = Libc.get();
          MemorySegment slot = libc.errnoSlot(arena);
          for (int fd = 0; fd < saved.length; fd++) {
            restore(libc, slot, saved[fd], fd);
          }
          closeAll(libc, slot, saved);
        } catch (IOException | RuntimeException e) {
          log.warn("Could not give the standard streams back after closing the inherited socket", e);
        }
      }
    };
  }

  /** Makes {@code fd} a copy of {@code copy} again, if there is a copy. */
  private static void restore(Libc libc, MemorySegment slot, int copy, int fd) {
    if (copy >= 0 && libc.dup2(slot, copy, fd) < 0) {
      log.warn("Could not give descriptor {} back: {}", fd, libc.failure("dup2", null, libc.errno(slot)).getMessage());
    }
  }

  private static void closeAll(Libc libc, MemorySegment slot, int[] saved) {
    for (int copy : saved) {
      if (copy >= 0) {
        libc.close(slot, copy);
      }
    }
  }
}
