package dev.socketserver.unix;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.BindException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The libc calls of this module, over the Foreign Function and Memory API: the only native code
 * of the project, with {@link NativeDatagramSocket}.
 *
 * <p>Each call that can fail captures {@code errno} (so nothing the JVM does in between can
 * overwrite it) and a failure becomes an {@link IOException} naming the call, its path when
 * there is one, and {@code strerror}'s text. The constants and structure layouts are Linux's
 * (the same on x86-64 and AArch64); {@link #get()} refuses other systems.
 *
 * <p>Thread-safe: the handles are immutable and every call allocates in the caller's arena.
 */
// The one place restricted FFM methods (downcallHandle, reinterpret) are called: this module is
// granted native access for exactly this.
@SuppressWarnings("restricted")
final class Libc {
  static final int AF_UNIX = 1;
  static final int AF_INET = 2;
  static final int AF_INET6 = 10;
  static final int SOCK_STREAM = 1;
  static final int SOCK_DGRAM = 2;
  static final int SOCK_NONBLOCK = 04000;
  static final int SOCK_CLOEXEC = 02000000;
  static final int SOL_SOCKET = 1;
  static final int SO_SNDBUF = 7;
  static final int SO_RCVBUF = 8;
  static final int SO_TYPE = 3;
  static final int SO_PASSCRED = 16;
  static final int SO_ACCEPTCONN = 30;
  static final int SO_DOMAIN = 39;
  static final int SCM_CREDENTIALS = 2;
  static final int MSG_TRUNC = 0x20;
  static final int MSG_DONTWAIT = 0x40;
  static final int MSG_NOSIGNAL = 0x4000;
  static final int EFD_NONBLOCK = 04000;
  static final int EFD_CLOEXEC = 02000000;
  static final short POLLIN = 0x1;
  static final int EINTR = 4;
  static final int EBADF = 9;
  static final int EAGAIN = 11;
  static final int ERANGE = 34;
  static final int EADDRINUSE = 98;
  static final int ENOTSOCK = 88;
  static final int ECONNREFUSED = 111;

  /** {@code struct sockaddr_un}: {@code sa_family_t sun_family; char sun_path[108];}. */
  static final int SOCKADDR_UN_SIZE = 110;
  /** Where {@code sun_path} starts in {@code struct sockaddr_un}. */
  static final int SUN_PATH_OFFSET = 2;

  private static final String NATIVE_ACCESS_HELP =
      "start java with --enable-native-access=dev.socketserver.unix"
          + " (--enable-native-access=ALL-UNNAMED if this library is on the class path)";

  private static final Object LOCK = new Object();
  private static volatile @Nullable Libc instance;

  private final StructLayout captureLayout = Linker.Option.captureStateLayout();
  private final VarHandle errnoHandle =
      captureLayout.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private final MethodHandle socket;
  private final MethodHandle bind;
  private final MethodHandle close;
  private final MethodHandle fchmod;
  private final MethodHandle setsockopt;
  private final MethodHandle getsockopt;
  private final MethodHandle dup;
  private final MethodHandle dup2;
  private final MethodHandle recvmsg;
  private final MethodHandle sendto;
  private final MethodHandle poll;
  private final MethodHandle eventfd;
  private final MethodHandle read;
  private final MethodHandle write;
  private final MethodHandle strerror;
  private final MethodHandle getpwnamR;
  private final MethodHandle getgrnamR;
  private final MethodHandle getpwuidR;
  private final MethodHandle getgrgidR;

  private Libc() {
    Linker linker = Linker.nativeLinker();
    SymbolLookup libc = linker.defaultLookup();
    Linker.Option errno = Linker.Option.captureCallState("errno");
    socket = handle(linker, libc, "socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), errno);
    bind = handle(linker, libc, "bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), errno);
    close = handle(linker, libc, "close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), errno);
    fchmod = handle(linker, libc, "fchmod", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), errno);
    setsockopt = handle(linker, libc, "setsockopt",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), errno);
    getsockopt = handle(linker, libc, "getsockopt",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), errno);
    dup = handle(linker, libc, "dup", FunctionDescriptor.of(JAVA_INT, JAVA_INT), errno);
    dup2 = handle(linker, libc, "dup2", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), errno);
    recvmsg = handle(linker, libc, "recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), errno);
    sendto = handle(linker, libc, "sendto",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), errno);
    poll = handle(linker, libc, "poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), errno);
    eventfd = handle(linker, libc, "eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), errno);
    read = handle(linker, libc, "read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), errno);
    write = handle(linker, libc, "write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), errno);
    strerror = handle(linker, libc, "strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    FunctionDescriptor byName = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS);
    FunctionDescriptor byId = FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS);
    getpwnamR = handle(linker, libc, "getpwnam_r", byName);
    getgrnamR = handle(linker, libc, "getgrnam_r", byName);
    getpwuidR = handle(linker, libc, "getpwuid_r", byId);
    getgrgidR = handle(linker, libc, "getgrgid_r", byId);
  }

  /**
   * Returns libc, linking it on first use.
   *
   * @throws IOException if this is not Linux, or the JVM denies this module native access; the
   *     message says how to allow it
   */
  static Libc get() throws IOException {
    Libc libc = instance;
    if (libc != null) {
      return libc;
    }
    String os = System.getProperty("os.name", "");
    if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
      throw new IOException(
          "Unix datagram sockets and systemd socket activation are implemented for Linux only, not " + os);
    }
    synchronized (LOCK) {
      libc = instance;
      if (libc == null) {
        try {
          libc = new Libc();
        } catch (IllegalCallerException e) {
          throw nativeAccessDenied(e);
        }
        instance = libc;
      }
      return libc;
    }
  }

  /** The message when the JVM refuses native access: what failed and the flag that fixes it. */
  static IOException nativeAccessDenied(IllegalCallerException e) {
    return new IOException(
        "Unix datagram sockets and systemd socket activation need native access (libc through the"
            + " FFM API), which this JVM denies to module " + Libc.class.getModule().getName() + ": " + NATIVE_ACCESS_HELP,
        e);
  }

  /** Returns whether calling libc would neither fail nor make the JDK warn. */
  static boolean nativeAccessEnabled() {
    return Libc.class.getModule().isNativeAccessEnabled();
  }

  private static MethodHandle handle(
      Linker linker, SymbolLookup libc, String name, FunctionDescriptor fd, Linker.Option... options) {
    MemorySegment symbol =
        libc.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    return linker.downcallHandle(symbol, fd, options);
  }

  // ---- errno ----

  /** Allocates the segment a call captures {@code errno} into. */
  MemorySegment errnoSlot(Arena arena) {
    return arena.allocate(captureLayout);
  }

  /** Returns the {@code errno} captured in {@code slot}. */
  int errno(MemorySegment slot) {
    return (int) errnoHandle.get(slot, 0L);
  }

  /** Returns {@code strerror(errno)}: "Connection refused". */
  String strerror(int errno) {
    try {
      MemorySegment text = (MemorySegment) strerror.invokeExact(errno);
      return text.equals(MemorySegment.NULL) ? "errno " + errno : text.reinterpret(1024).getString(0);
    } catch (Throwable t) {
      return "errno " + errno;
    }
  }

  /**
   * Returns the exception for a failed call: {@code "sendto(/run/app.sock) failed: Connection
   * refused (errno 111)"}; a {@link ConnectException} for ECONNREFUSED, a {@link BindException}
   * for EADDRINUSE.
   */
  IOException failure(String call, @Nullable String path, int errno) {
    String message = call + (path == null ? "" : "(" + path + ")") + " failed: " + strerror(errno)
        + " (errno " + errno + ")";
    return switch (errno) {
      case ECONNREFUSED -> new ConnectException(message);
      case EADDRINUSE -> new BindException(message);
      default -> new IOException(message);
    };
  }

  // ---- calls: each returns what libc returns; errno is left in the slot ----

  /** One downcall; {@code invokeExact} needs the exact types, so each call site casts itself. */
  @FunctionalInterface
  private interface Call<T> {
    T call() throws Throwable;
  }

  /** Runs a downcall; a handle that cannot be invoked is a bug here, not an I/O failure. */
  private static <T> T call(String name, Call<T> downcall) {
    try {
      return downcall.call();
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("native call " + name + " failed", t);
    }
  }

  int socket(MemorySegment slot, int domain, int type, int protocol) {
    return call("socket", () -> (int) socket.invokeExact(slot, domain, type, protocol));
  }

  int bind(MemorySegment slot, int fd, MemorySegment address, int length) {
    return call("bind", () -> (int) bind.invokeExact(slot, fd, address, length));
  }

  int close(MemorySegment slot, int fd) {
    return call("close", () -> (int) close.invokeExact(slot, fd));
  }

  int fchmod(MemorySegment slot, int fd, int mode) {
    return call("fchmod", () -> (int) fchmod.invokeExact(slot, fd, mode));
  }

  int setsockopt(MemorySegment slot, int fd, int level, int name, MemorySegment value, int length) {
    return call("setsockopt", () -> (int) setsockopt.invokeExact(slot, fd, level, name, value, length));
  }

  /** {@code getsockopt} of an {@code int} option; {@code value} and {@code length} are out-parameters. */
  int getsockopt(MemorySegment slot, int fd, int level, int name, MemorySegment value, MemorySegment length) {
    return call("getsockopt", () -> (int) getsockopt.invokeExact(slot, fd, level, name, value, length));
  }

  int dup(MemorySegment slot, int fd) {
    return call("dup", () -> (int) dup.invokeExact(slot, fd));
  }

  int dup2(MemorySegment slot, int fd, int target) {
    return call("dup2", () -> (int) dup2.invokeExact(slot, fd, target));
  }

  long recvmsg(MemorySegment slot, int fd, MemorySegment message, int flags) {
    return call("recvmsg", () -> (long) recvmsg.invokeExact(slot, fd, message, flags));
  }

  long sendto(MemorySegment slot, int fd, MemorySegment data, long length, int flags,
      MemorySegment address, int addressLength) {
    return call("sendto",
        () -> (long) sendto.invokeExact(slot, fd, data, length, flags, address, addressLength));
  }

  int poll(MemorySegment slot, MemorySegment fds, long count, int timeoutMillis) {
    return call("poll", () -> (int) poll.invokeExact(slot, fds, count, timeoutMillis));
  }

  int eventfd(MemorySegment slot, int initial, int flags) {
    return call("eventfd", () -> (int) eventfd.invokeExact(slot, initial, flags));
  }

  long read(MemorySegment slot, int fd, MemorySegment buffer, long count) {
    return call("read", () -> (long) read.invokeExact(slot, fd, buffer, count));
  }

  long write(MemorySegment slot, int fd, MemorySegment buffer, long count) {
    return call("write", () -> (long) write.invokeExact(slot, fd, buffer, count));
  }

  // ---- users and groups ----

  // struct passwd: pw_name, pw_passwd (pointers), pw_uid, pw_gid (ints at 16, 20), 3 pointers: 48 bytes.
  // struct group: gr_name, gr_passwd (pointers), gr_gid (int at 16), gr_mem (pointer at 24): 32 bytes.
  private static final long PASSWD_SIZE = 48;
  private static final long GROUP_SIZE = 32;
  private static final long ID_OFFSET = 16;

  /**
   * Returns the uid of user {@code name}: the number itself for a numeric name, else looked up
   * ({@code getpwnam_r}) if this module has native access; -1 if unknown.
   */
  static int uidOf(String name) {
    return idOf(name, false);
  }

  /** Returns the gid of group {@code name}; as {@link #uidOf}. */
  static int gidOf(String name) {
    return idOf(name, true);
  }

  private static int idOf(String name, boolean group) {
    if (!name.isEmpty() && name.chars().allMatch(c -> c >= '0' && c <= '9')) {
      try {
        return Integer.parseInt(name);
      } catch (NumberFormatException e) {
        return -1;
      }
    }
    if (!nativeAccessEnabled()) {
      return -1;
    }
    try (Arena arena = Arena.ofConfined()) {
      Libc libc = get();
      MemorySegment cName = arena.allocateFrom(name, StandardCharsets.UTF_8);
      MemorySegment entry = libc.lookup(arena, group, cName, 0, group ? libc.getgrnamR : libc.getpwnamR);
      return entry.equals(MemorySegment.NULL) ? -1 : entry.get(JAVA_INT, ID_OFFSET);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Returns the name of user {@code uid} ({@code getpwuid_r}), or the number as text. */
  static String userName(int uid) {
    return nameOf(uid, false);
  }

  /** Returns the name of group {@code gid} ({@code getgrgid_r}), or the number as text. */
  static String groupName(int gid) {
    return nameOf(gid, true);
  }

  private static String nameOf(int id, boolean group) {
    try (Arena arena = Arena.ofConfined()) {
      Libc libc = get();
      MemorySegment entry = libc.lookup(arena, group, MemorySegment.NULL, id, group ? libc.getgrgidR : libc.getpwuidR);
      if (!entry.equals(MemorySegment.NULL)) {
        return entry.get(ADDRESS, 0).reinterpret(4096).getString(0, StandardCharsets.UTF_8);
      }
    } catch (IOException | RuntimeException e) {
      // fall through: the number is the best name there is
    }
    return Integer.toUnsignedString(id);
  }

  /**
   * Calls one of the four reentrant lookups, growing the buffer on ERANGE; returns the entry, or
   * NULL if there is none. {@code name} is used by the by-name lookups, {@code id} by the others.
   */
  private MemorySegment lookup(Arena arena, boolean group, MemorySegment name, int id, MethodHandle lookup)
      throws IOException {
    MemorySegment entry = arena.allocate(group ? GROUP_SIZE : PASSWD_SIZE, 8);
    MemorySegment result = arena.allocate(ADDRESS);
    for (long grow = 1024; grow <= 1 << 20; grow *= 4) {
      long size = grow;
      MemorySegment buffer = arena.allocate(size);
      int rc = call("getpw/getgr lookup", () -> name.equals(MemorySegment.NULL)
          ? (int) lookup.invokeExact(id, entry, buffer, size, result)
          : (int) lookup.invokeExact(name, entry, buffer, size, result));
      if (rc == ERANGE) {
        continue;
      }
      if (rc != 0) {
        throw failure(group ? "getgr_r" : "getpw_r", null, rc);
      }
      MemorySegment found = result.get(ADDRESS, 0);
      return found.equals(MemorySegment.NULL) ? MemorySegment.NULL : entry;
    }
    throw new IOException("user or group entry larger than 1 MiB");
  }
}
