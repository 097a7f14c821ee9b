package dev.socketserver.unix;

import dev.socketserver.engine.telemetry.Logs;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * The file a Unix-domain socket is bound to: its length limit, what to do with a file already at
 * the path, its permissions, and its removal once the server is closed.
 *
 * <p>Immutable and thread-safe; {@link #remove()} may run from any thread.
 */
final class SocketFile {
  private static final Logger log = Logs.get(SocketFile.class);

  /** {@code sun_path} holds 108 bytes, the terminating NUL included. */
  static final int MAX_PATH_BYTES = 107;

  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;
  private static final Charset FILE_NAMES = fileNameCharset();

  private final Path path;
  private final @Nullable Object fileKey;

  private SocketFile(Path path, @Nullable Object fileKey) {
    this.path = path;
    this.fileKey = fileKey;
  }

  /**
   * Returns the bytes the kernel gets for {@code path}: the path as given (a relative path stays
   * relative), in the platform's file-name encoding.
   *
   * @throws IOException if they do not fit in {@code sun_path}; the message says how long it is
   */
  static byte[] pathBytes(Path path) throws IOException {
    byte[] bytes = path.toString().getBytes(FILE_NAMES);
    if (bytes.length == 0) {
      throw new IOException("empty Unix socket path: bind to a file path such as /run/app/app.sock");
    }
    if (bytes.length > MAX_PATH_BYTES) {
      throw new IOException(
          "Unix socket path too long: " + bytes.length + " bytes, the kernel's limit is "
              + MAX_PATH_BYTES + " (108 with the terminating NUL): " + path
              + "; use a shorter directory, or a path relative to the working directory");
    }
    for (byte b : bytes) {
      if (b == 0) {
        throw new IOException("Unix socket path contains a NUL byte: " + path);
      }
    }
    return bytes;
  }

  /**
   * Makes way for binding a socket at {@code path}: returns if nothing is there, removes a stale
   * socket file (one nobody listens on), and refuses anything else.
   *
   * @param what names the server in messages, for example {@code "Unix stream server"}
   * @throws BindException if a socket at {@code path} is live: a server (of any socket type) is
   *     bound to it
   * @throws FileAlreadyExistsException if {@code path} exists and is not a socket
   */
  static void makeWay(Path path, String what) throws IOException {
    int mode;
    try {
      mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    }
    if ((mode & S_IFMT) != S_IFSOCK) {
      throw new FileAlreadyExistsException(
          path.toString(), null,
          "cannot bind " + what + ": the path exists and is " + kind(path)
              + ", not a socket; remove it or choose another path");
    }
    if (isLive(path)) {
      throw new BindException(
          "cannot bind " + what + " to " + path + ": another server is bound to that socket;"
              + " stop it or choose another path");
    }
    log.debug("Removing stale socket file {} (nobody is listening on it)", path);
    Files.deleteIfExists(path);
  }

  /**
   * Returns whether a server is bound to the socket file at {@code path}. A stream connect tells:
   * it is refused only if no socket is bound to the file; a live stream server accepts it, or
   * leaves it pending when its backlog is full, and a live socket of another type answers
   * "protocol wrong type". Non-blocking, so a stuck server cannot hang the probe.
   */
  private static boolean isLive(Path path) throws IOException {
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.configureBlocking(false);
      probe.connect(UnixDomainSocketAddress.of(path));
      return true;
    } catch (ConnectException refused) {
      return false;
    } catch (IOException e) {
      log.debug("Probing {} failed: {}; taking it as live", path, e.toString());
      return true;
    }
  }

  private static String kind(Path path) {
    if (Files.isSymbolicLink(path)) {
      return "a symbolic link";
    }
    if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
      return "a directory";
    }
    if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
      return "a regular file";
    }
    return "a special file (a FIFO or a device)";
  }

  /**
   * Takes charge of the socket file just bound at {@code path}: sets its permissions and
   * remembers which file it is, so {@link #remove()} never deletes a file another server put
   * there since.
   */
  static SocketFile bound(Path path, Set<PosixFilePermission> permissions) throws IOException {
    Files.setPosixFilePermissions(path, permissions);
    Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    return new SocketFile(path, key);
  }

  /**
   * Returns whether a socket file the kernel creates now could let someone connect whom
   * {@code permissions} exclude: connecting needs write permission, and a new socket file gets
   * mode {@code 0777 & ~umask}. False with the usual umasks (022, 027, 077), true with 002 or
   * 000, and true when the umask cannot be read.
   */
  static boolean creationModeIsWider(Set<PosixFilePermission> permissions) {
    int umask = umask();
    if (umask < 0) {
      return true;
    }
    int created = 0777 & ~umask;
    int wanted = mode(permissions);
    int writeBits = 0222;
    return (created & writeBits & ~wanted) != 0;
  }

  /** Returns {@code permissions} as mode bits, for example 0600. */
  static int mode(Set<PosixFilePermission> permissions) {
    int mode = 0;
    for (PosixFilePermission p : permissions) {
      mode |= switch (p) {
        case OWNER_READ -> 0400;
        case OWNER_WRITE -> 0200;
        case OWNER_EXECUTE -> 0100;
        case GROUP_READ -> 040;
        case GROUP_WRITE -> 020;
        case GROUP_EXECUTE -> 010;
        case OTHERS_READ -> 04;
        case OTHERS_WRITE -> 02;
        case OTHERS_EXECUTE -> 01;
      };
    }
    return mode;
  }

  /** Returns this process's umask from {@code /proc/self/status} (Linux 4.7+), or -1. */
  private static int umask() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII);
      for (String line : lines) {
        if (line.startsWith("Umask:")) {
          return Integer.parseInt(line.substring("Umask:".length()).strip(), 8);
        }
      }
    } catch (IOException | RuntimeException e) {
      log.debug("Cannot read the umask: {}", e.toString());
    }
    return -1;
  }

  /** Returns the path. */
  Path path() {
    return path;
  }

  /**
   * Removes the socket file if it is still the one this server bound. Failures are logged, not
   * thrown: it runs while a server closes.
   */
  void remove() {
    try {
      Object now = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
      if (!Objects.equals(now, fileKey)) {
        log.debug("Not removing {}: it is no longer this server's socket file", path);
        return;
      }
      Files.deleteIfExists(path);
    } catch (NoSuchFileException e) {
      // already gone
    } catch (IOException e) {
      log.warn("Cannot remove socket file {}: {}", path, e.toString());
    }
  }

  /** Deletes {@code path} if it exists, logging a failure: for clean-up after a failed bind. */
  static void removeQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      log.warn("Cannot remove socket file {}: {}", path, e.toString());
    }
  }

  private static Charset fileNameCharset() {
    String name = System.getProperty("sun.jnu.encoding");
    try {
      return name == null ? StandardCharsets.UTF_8 : Charset.forName(name);
    } catch (IllegalArgumentException e) {
      return StandardCharsets.UTF_8;
    }
  }
}
