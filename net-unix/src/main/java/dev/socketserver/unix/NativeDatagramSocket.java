package dev.socketserver.unix;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.jspecify.annotations.Nullable;

/**
 * One AF_UNIX datagram socket made with libc: bind, receive with the sender's address and
 * credentials, send, and a wait for input that another thread can end at once.
 *
 * <p>The descriptor is non-blocking; waiting is done by {@code poll(2)} on the socket together
 * with an eventfd, which {@link #wakeup()} writes to, so a shutdown ends a wait at once. Where
 * that wait runs is the important part:
 * <ul>
 *   <li>On a platform thread (the serving thread of {@code start()}, a client on a platform
 *       thread) the thread itself blocks in {@code poll}: nothing is cheaper. It waits in slices
 *       of 250 ms, since an interrupt cannot end a native call, so an interrupted serving thread
 *       still stops.</li>
 *   <li>On a virtual thread, a native call cannot unmount: it would pin its carrier for as long as
 *       {@code poll} waits, which for a server is for ever. So the wait is handed to one platform
 *       thread of this socket, created on first need, while the virtual thread parks on the
 *       result; only the quick non-blocking {@code recvmsg}/{@code sendto} calls run on the
 *       virtual thread.</li>
 * </ul>
 * Sending never blocks in native code either: an AF_UNIX receiver whose queue is full makes
 * {@code sendto} wait, and {@code poll} cannot say when an unconnected socket could send, so a
 * full queue is retried with a parked back-off (20 µs doubling to 5 ms) until a deadline.
 *
 * <p>Thread-safety: receiving is for one thread at a time; sending and {@link #wakeup()} from any
 * thread. {@link #close()} waits for calls in progress and makes later ones fail, so a descriptor
 * number is never used after it was closed and perhaps reused. The owner closes it; a second
 * close does nothing.
 */
final class NativeDatagramSocket implements AutoCloseable {
  /** The largest datagram a client receives by default, as for UDP. */
  static final int DEFAULT_MAX_RECEIVE = 65_507;

  // struct msghdr (56 bytes): msg_name 0, msg_namelen 8, msg_iov 16, msg_iovlen 24,
  // msg_control 32, msg_controllen 40, msg_flags 48. struct iovec (16): iov_base 0, iov_len 8.
  // struct cmsghdr (16): cmsg_len 0, cmsg_level 8, cmsg_type 12, data 16;
  // struct ucred (12): pid 0, uid 4, gid 8. struct pollfd (8): fd 0, events 4, revents 6.
  private static final long MSGHDR_SIZE = 56;
  private static final long IOVEC_SIZE = 16;
  private static final long CONTROL_SIZE = 64;
  private static final long POLLFD_SIZE = 8;
  private static final long BACKOFF_MIN_NANOS = 20_000;
  private static final long BACKOFF_MAX_NANOS = 5_000_000;
  private static final long INTERRUPT_CHECK_NANOS = 250_000_000;
  private static final int READABLE = 1;
  private static final int WOKEN = 0;
  private static final int TIMED_OUT = -1;

  private final Libc libc;
  private final int fd;
  private final int wakeFd;
  private final ReentrantReadWriteLock closeLock = new ReentrantReadWriteLock();
  // Guarded by closeLock (written under the write lock).
  private boolean closed;
  private final Object waiterLock = new Object();
  private @Nullable ExecutorService waiter; // guarded by waiterLock

  private NativeDatagramSocket(Libc libc, int fd, int wakeFd) {
    this.libc = libc;
    this.fd = fd;
    this.wakeFd = wakeFd;
  }

  /**
   * Opens an unbound, non-blocking AF_UNIX datagram socket.
   *
   * @throws IOException if libc cannot be used (see {@link Libc#get()}) or the socket cannot be made
   */
  static NativeDatagramSocket open() throws IOException {
    Libc libc = Libc.get();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment slot = libc.errnoSlot(arena);
      int fd = libc.socket(slot, Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
      if (fd < 0) {
        throw libc.failure("socket", "AF_UNIX, SOCK_DGRAM", libc.errno(slot));
      }
      int wake = libc.eventfd(slot, 0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
      if (wake < 0) {
        int errno = libc.errno(slot);
        libc.close(slot, fd);
        throw libc.failure("eventfd", null, errno);
      }
      return new NativeDatagramSocket(libc, fd, wake);
    }
  }

  // ---- addresses ----

  /** Returns the {@code struct sockaddr_un} bytes for {@code address}, exactly as long as needed. */
  static byte[] sockaddr(SocketAddress address) throws IOException {
    byte[] name;
    boolean isAbstract;
    if (address instanceof UnixDomainSocketAddress u) {
      name = SocketFile.pathBytes(u.getPath());
      isAbstract = false;
    } else if (address instanceof UnixAbstractAddress a) {
      name = a.bytes();
      isAbstract = true;
    } else {
      throw new IllegalArgumentException("not a Unix-domain address: " + address);
    }
    // path: family, path bytes, NUL. abstract: family, NUL, name (no terminator).
    byte[] sa = new byte[Libc.SUN_PATH_OFFSET + 1 + name.length];
    sa[0] = (byte) Libc.AF_UNIX; // sa_family_t is little-endian on Linux's x86-64 and AArch64
    System.arraycopy(name, 0, sa, Libc.SUN_PATH_OFFSET + (isAbstract ? 1 : 0), name.length);
    return sa;
  }

  /** Returns the address {@code sockaddr} bytes name: an empty path for an unbound socket. */
  static SocketAddress address(byte[] sa) {
    int n = sa.length - Libc.SUN_PATH_OFFSET;
    if (n <= 0) {
      return UnixDomainSocketAddress.of("");
    }
    if (sa[Libc.SUN_PATH_OFFSET] == 0) {
      byte[] name = new byte[n - 1];
      System.arraycopy(sa, Libc.SUN_PATH_OFFSET + 1, name, 0, name.length);
      return UnixAbstractAddress.of(name);
    }
    int end = Libc.SUN_PATH_OFFSET;
    while (end < sa.length && sa[end] != 0) {
      end++;
    }
    String path = new String(sa, Libc.SUN_PATH_OFFSET, end - Libc.SUN_PATH_OFFSET, StandardCharsets.UTF_8);
    return UnixDomainSocketAddress.of(Path.of(path));
  }

  /** Returns whether {@code sa} names an unbound socket, which cannot be sent to. */
  static boolean isUnbound(byte[] sa) {
    return sa.length <= Libc.SUN_PATH_OFFSET;
  }

  // ---- set-up ----

  /**
   * Binds to {@code address}. A socket file is created with {@code fileMode} (further limited by
   * the umask): set on the socket before {@code bind}, which Linux applies to the new file, so it
   * is never more open than that, not even for an instant.
   */
  void bind(SocketAddress address, int fileMode) throws IOException {
    byte[] sa = sockaddr(address);
    try (Arena arena = Arena.ofConfined(); var _ = use()) {
      MemorySegment slot = libc.errnoSlot(arena);
      if (address instanceof UnixDomainSocketAddress && libc.fchmod(slot, fd, fileMode) != 0) {
        throw libc.failure("fchmod", String.format("socket, 0%o", fileMode), libc.errno(slot));
      }
      MemorySegment native_ = arena.allocate(sa.length);
      MemorySegment.copy(sa, 0, native_, JAVA_BYTE, 0, sa.length);
      if (libc.bind(slot, fd, native_, sa.length) != 0) {
        throw libc.failure("bind", address.toString(), libc.errno(slot));
      }
    }
  }

  /** Sets an integer socket option at level SOL_SOCKET. */
  void option(String what, int name, int value) throws IOException {
    try (Arena arena = Arena.ofConfined(); var _ = use()) {
      MemorySegment slot = libc.errnoSlot(arena);
      MemorySegment v = arena.allocateFrom(JAVA_INT, value);
      if (libc.setsockopt(slot, fd, Libc.SOL_SOCKET, name, v, 4) != 0) {
        throw libc.failure("setsockopt", what + "=" + value, libc.errno(slot));
      }
    }
  }

  // ---- receiving ----

  /**
   * A received datagram (not a record: it hands out its arrays without copying). {@code size} is
   * its real size; when that is over the maximum, {@code payload} is empty. {@code pid} is -1
   * when the kernel attached no credentials.
   */
  static final class Received {
    private final byte[] payload;
    private final int size;
    private final byte[] sender;
    private final long pid;
    private final int uid;
    private final int gid;

    Received(byte[] payload, int size, byte[] sender, long pid, int uid, int gid) {
      this.payload = payload;
      this.size = size;
      this.sender = sender;
      this.pid = pid;
      this.uid = uid;
      this.gid = gid;
    }

    /** The payload; the receiver owns the array. */
    byte[] payload() {
      return payload;
    }

    int size() {
      return size;
    }

    /** The sender's {@code sockaddr_un} bytes; the receiver owns the array. */
    byte[] sender() {
      return sender;
    }

    long pid() {
      return pid;
    }

    int uid() {
      return uid;
    }

    int gid() {
      return gid;
    }

    boolean tooLong(int max) {
      return size > max;
    }
  }

  /** The native buffers one receiver reuses: a message header, the payload, address and credentials. */
  static final class Buffers {
    final int max;
    final MemorySegment header;
    final MemorySegment data;
    final MemorySegment name;
    final MemorySegment control;
    final MemorySegment slot;

    Buffers(Arena arena, Libc libc, int max) {
      this.max = max;
      this.header = arena.allocate(MSGHDR_SIZE, 8);
      MemorySegment iov = arena.allocate(IOVEC_SIZE, 8);
      this.data = arena.allocate(Math.max(1, max), 8);
      this.name = arena.allocate(Libc.SOCKADDR_UN_SIZE, 8);
      this.control = arena.allocate(CONTROL_SIZE, 8);
      this.slot = libc.errnoSlot(arena);
      iov.set(ADDRESS, 0, data);
      iov.set(JAVA_LONG, 8, max);
      header.set(ADDRESS, 16, iov);
      header.set(JAVA_LONG, 24, 1);
    }
  }

  /** Allocates receive buffers for datagrams of up to {@code max} bytes in {@code arena}. */
  Buffers buffers(Arena arena, int max) {
    return new Buffers(arena, libc, max);
  }

  /**
   * Receives one datagram, waiting at most {@code timeoutNanos} (negative: for ever, zero: not
   * at all); returns null if none came in time or {@link #wakeup()} was called.
   */
  @Nullable Received receive(Buffers b, long timeoutNanos) throws IOException {
    long deadline = System.nanoTime() + Math.max(0, timeoutNanos);
    while (true) {
      Received got = tryReceive(b);
      if (got != null) {
        return got;
      }
      long left = timeoutNanos < 0 ? -1 : deadline - System.nanoTime();
      if (timeoutNanos >= 0 && left <= 0) {
        return null;
      }
      if (!awaitReadable(left)) {
        return null;
      }
    }
  }

  private @Nullable Received tryReceive(Buffers b) throws IOException {
    try (var _ = use()) {
      MemorySegment h = b.header;
      h.set(ADDRESS, 0, b.name);
      h.set(JAVA_INT, 8, Libc.SOCKADDR_UN_SIZE);
      h.set(ADDRESS, 32, b.control);
      h.set(JAVA_LONG, 40, CONTROL_SIZE);
      h.set(JAVA_INT, 48, 0);
      long n;
      do {
        n = libc.recvmsg(b.slot, fd, h, Libc.MSG_TRUNC | Libc.MSG_DONTWAIT);
      } while (n < 0 && libc.errno(b.slot) == Libc.EINTR);
      if (n < 0) {
        int errno = libc.errno(b.slot);
        if (errno == Libc.EAGAIN) {
          return null;
        }
        throw libc.failure("recvmsg", null, errno);
      }
      int size = (int) Math.min(Integer.MAX_VALUE, n);
      byte[] payload = size > b.max ? new byte[0] : b.data.asSlice(0, size).toArray(JAVA_BYTE);
      int nameLength = Math.min(h.get(JAVA_INT, 8), Libc.SOCKADDR_UN_SIZE);
      byte[] sender = b.name.asSlice(0, nameLength).toArray(JAVA_BYTE);
      long pid = -1;
      int uid = -1;
      int gid = -1;
      long controlLength = h.get(JAVA_LONG, 40);
      if (controlLength >= 28
          && b.control.get(JAVA_INT, 8) == Libc.SOL_SOCKET
          && b.control.get(JAVA_INT, 12) == Libc.SCM_CREDENTIALS) {
        pid = b.control.get(JAVA_INT, 16);
        uid = b.control.get(JAVA_INT, 20);
        gid = b.control.get(JAVA_INT, 24);
      }
      return new Received(payload, size, sender, pid, uid, gid);
    }
  }

  /**
   * Waits until the socket is readable: true then, false if woken or the wait ended; see the
   * class comment for where the wait runs.
   */
  private boolean awaitReadable(long timeoutNanos) throws IOException {
    if (!Thread.currentThread().isVirtual()) {
      // Thread.interrupt() cannot end a native poll: wait in slices, so an interrupt is seen
      // within INTERRUPT_CHECK_NANOS (as Selector.select would see it at once).
      long deadline = System.nanoTime() + timeoutNanos;
      while (true) {
        long left = timeoutNanos < 0 ? INTERRUPT_CHECK_NANOS : deadline - System.nanoTime();
        if (timeoutNanos >= 0 && left <= 0) {
          return true; // the caller tries once more and sees its deadline passed
        }
        long slice = Math.min(left, INTERRUPT_CHECK_NANOS);
        int r = poll(slice);
        if (r != TIMED_OUT) {
          return r == READABLE;
        }
        if (Thread.currentThread().isInterrupted()) {
          return false;
        }
      }
    }
    Future<Boolean> wait = waiter().submit(() -> poll(timeoutNanos) != WOKEN);
    try {
      return wait.get();
    } catch (InterruptedException e) {
      wakeup(); // ends the platform thread's poll; the interrupt is for our caller
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException("waiting for a datagram failed", e.getCause());
    }
  }

  private ExecutorService waiter() throws SocketException {
    synchronized (waiterLock) {
      ExecutorService w = waiter;
      if (w == null) {
        if (isClosed()) {
          throw new SocketException("socket closed");
        }
        w = waiter = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("socketserver-unix-datagram-wait").daemon(true).factory());
      }
      return w;
    }
  }

  /** Polls the socket and the wake-up eventfd: READABLE (or may be), WOKEN or TIMED_OUT. */
  private int poll(long timeoutNanos) throws IOException {
    int millis = timeoutNanos < 0
        ? -1
        : (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(timeoutNanos + 999_999));
    try (Arena arena = Arena.ofConfined(); var _ = use()) {
      MemorySegment slot = libc.errnoSlot(arena);
      MemorySegment fds = arena.allocate(2 * POLLFD_SIZE, 8);
      fds.set(JAVA_INT, 0, fd);
      fds.set(JAVA_SHORT, 4, Libc.POLLIN);
      fds.set(JAVA_INT, POLLFD_SIZE, wakeFd);
      fds.set(JAVA_SHORT, POLLFD_SIZE + 4, Libc.POLLIN);
      int n = libc.poll(slot, fds, 2, millis);
      if (n < 0) {
        int errno = libc.errno(slot);
        if (errno == Libc.EINTR) {
          return READABLE; // the caller tries to receive and waits again
        }
        throw libc.failure("poll", null, errno);
      }
      if (fds.get(JAVA_SHORT, POLLFD_SIZE + 6) != 0) {
        libc.read(slot, wakeFd, arena.allocate(8), 8); // reset the eventfd's counter
        return WOKEN;
      }
      return n > 0 ? READABLE : TIMED_OUT;
    }
  }

  /** Makes a wait in progress, or the next one, end at once. From any thread. */
  void wakeup() {
    try (Arena arena = Arena.ofConfined(); var _ = use()) {
      libc.write(libc.errnoSlot(arena), wakeFd, arena.allocateFrom(JAVA_LONG, 1L), 8);
    } catch (SocketException closed) {
      // nothing left to wake
    }
  }

  // ---- sending ----

  /**
   * Sends the bytes of {@code data} from its position to its limit (consuming them) in one
   * datagram to the socket {@code to} names; {@code target} describes it in messages. Waits at
   * most {@code timeout} for room in the receiver's queue.
   *
   * @throws java.net.ConnectException if nobody is bound at the target (any more)
   * @throws SocketTimeoutException if the receiver's queue stayed full
   * @throws IOException for other failures, naming {@code sendto}, the target and the error
   */
  void send(ByteBuffer data, byte[] to, String target, Duration timeout) throws IOException {
    int length = data.remaining();
    try (Arena arena = Arena.ofConfined(); var _ = use()) {
      MemorySegment slot = libc.errnoSlot(arena);
      MemorySegment payload;
      if (data.isDirect()) {
        payload = MemorySegment.ofBuffer(data);
      } else {
        payload = arena.allocate(Math.max(1, length));
        MemorySegment.copy(MemorySegment.ofBuffer(data), 0, payload, 0, length);
      }
      MemorySegment address = arena.allocate(to.length);
      MemorySegment.copy(to, 0, address, JAVA_BYTE, 0, to.length);
      long deadline = System.nanoTime() + timeout.toNanos();
      long backoff = BACKOFF_MIN_NANOS;
      while (true) {
        long n = libc.sendto(slot, fd, payload, length, Libc.MSG_DONTWAIT | Libc.MSG_NOSIGNAL, address, to.length);
        if (n >= 0) {
          data.position(data.limit());
          return;
        }
        int errno = libc.errno(slot);
        if (errno == Libc.EINTR) {
          continue;
        }
        if (errno != Libc.EAGAIN) {
          throw libc.failure("sendto", target, errno);
        }
        if (System.nanoTime() - deadline > 0) {
          throw new SocketTimeoutException(
              "sendto(" + target + ") failed: the receiver's queue stayed full for " + timeout);
        }
        LockSupport.parkNanos(backoff);
        if (Thread.interrupted()) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while waiting to send to " + target);
        }
        backoff = Math.min(2 * backoff, BACKOFF_MAX_NANOS);
      }
    }
  }

  // ---- closing ----

  /** A hold on the descriptor: while one is open, {@link #close()} waits. */
  private interface Use extends AutoCloseable {
    @Override
    void close();
  }

  private Use use() throws SocketException {
    ReentrantReadWriteLock.ReadLock lock = closeLock.readLock();
    lock.lock();
    if (closed) {
      lock.unlock();
      throw new SocketException("socket closed");
    }
    return lock::unlock;
  }

  private boolean isClosed() {
    ReentrantReadWriteLock.ReadLock lock = closeLock.readLock();
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Closes the socket: ends a wait in progress, waits for calls in progress (a send may wait up to
   * its timeout), then closes the descriptors. Later calls fail with "socket closed". A second
   * call does nothing.
   */
  @Override
  public void close() {
    wakeup();
    ExecutorService w;
    synchronized (waiterLock) {
      w = waiter;
    }
    ReentrantReadWriteLock.WriteLock lock = closeLock.writeLock();
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment slot = libc.errnoSlot(arena);
        libc.close(slot, fd);
        libc.close(slot, wakeFd);
      }
    } finally {
      lock.unlock();
    }
    if (w != null) {
      w.shutdown();
    }
  }
}
