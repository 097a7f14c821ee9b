package dev.socketserver.unix;

import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Where a Unix-domain server builder (stream or datagram) binds: a socket file with its
 * permissions, an abstract name (datagram only), or the socket this process inherited (stream
 * only). The builders' {@code bind}, {@code permissions} and {@code inheritedChannel} set it;
 * their {@code build()} reads it.
 *
 * <p>Not thread-safe: part of a builder, configured on one thread.
 */
final class UnixEndpoint {
  private final boolean inheritable;
  private @Nullable SocketAddress address; // a UnixDomainSocketAddress or a UnixAbstractAddress
  private boolean inherited;
  private Set<PosixFilePermission> permissions =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

  /** An endpoint with no address yet; {@code inheritable} if the server can serve an inherited socket. */
  UnixEndpoint(boolean inheritable) {
    this.inheritable = inheritable;
  }

  /** Binds to the socket file {@code path}. */
  void bind(Path path) {
    bindTo(UnixDomainSocketAddress.of(Objects.requireNonNull(path, "path")));
  }

  /** Binds to {@code name} in Linux's abstract namespace. */
  void bind(UnixAbstractAddress name) {
    bindTo(Objects.requireNonNull(name, "address"));
  }

  private void bindTo(SocketAddress to) {
    this.address = to;
    this.inherited = false;
  }

  /** Serves the socket this process inherited, instead of binding one. */
  void inherit() {
    this.inherited = true;
    this.address = null;
  }

  /** Returns whether the server serves an inherited socket. */
  boolean inherited() {
    return inherited;
  }

  /** Sets the socket file's permissions. */
  void permissions(Set<PosixFilePermission> set) {
    this.permissions = EnumSet.copyOf(Objects.requireNonNull(set, "permissions"));
  }

  /**
   * Sets the socket file's permissions from text such as {@code "rw-rw----"}.
   *
   * @throws IllegalArgumentException if {@code text} is not nine {@code rwx-} characters
   */
  void permissions(String text) {
    permissions(PosixFilePermissions.fromString(text));
  }

  /** Returns the socket file's permissions. */
  Set<PosixFilePermission> permissions() {
    return permissions;
  }

  /**
   * Returns the address to bind: a {@link UnixDomainSocketAddress} or a
   * {@link UnixAbstractAddress}.
   *
   * @throws IllegalStateException if none was given
   */
  SocketAddress address() {
    SocketAddress a = address;
    if (a == null) {
      throw new IllegalStateException(
          "no address: call bind(...)" + (inheritable ? " or inheritedChannel()" : "") + " before build()");
    }
    return a;
  }

  /** Returns the socket file of {@code address}, null for an abstract name. */
  static @Nullable Path path(SocketAddress address) {
    return address instanceof UnixDomainSocketAddress u ? u.getPath() : null;
  }

  /**
   * Returns the socket file of a server bound to {@code address}.
   *
   * @throws IllegalStateException if it is bound to an abstract name, which has no file
   */
  static Path requirePath(SocketAddress address) {
    Path p = path(address);
    if (p == null) {
      throw new IllegalStateException("bound to an abstract name, which has no path: " + address);
    }
    return p;
  }
}
