package dev.socketserver.unix;

import java.io.Serial;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A Linux abstract-namespace Unix-domain address: a name with no file behind it (Python's
 * {@code b"\0name"}), so there is nothing to clean up and file permissions do not apply; any
 * local process can send to it. The JDK's {@code UnixDomainSocketAddress} cannot hold one, so
 * only the datagram classes of this module, which call libc themselves, accept it.
 *
 * <p>Immutable and thread-safe.
 */
public final class UnixAbstractAddress extends SocketAddress {
  @Serial private static final long serialVersionUID = 1L;

  /** The name without the leading NUL; at most 106 bytes (sun_path's 108 less the NUL and one). */
  private final byte[] name;

  private UnixAbstractAddress(byte[] name) {
    this.name = name;
  }

  /**
   * Returns the abstract address {@code name} (without the leading NUL), encoded in UTF-8.
   *
   * @throws IllegalArgumentException if the name is empty or longer than 106 bytes
   */
  public static UnixAbstractAddress of(String name) {
    return of(name.getBytes(StandardCharsets.UTF_8));
  }

  static UnixAbstractAddress of(byte[] name) {
    if (name.length == 0 || name.length > SocketFile.MAX_PATH_BYTES - 1) {
      throw new IllegalArgumentException(
          "abstract Unix address must be 1.." + (SocketFile.MAX_PATH_BYTES - 1) + " bytes: "
              + name.length);
    }
    return new UnixAbstractAddress(name.clone());
  }

  /** Returns the name, decoded as UTF-8, without the leading NUL. */
  public String name() {
    return new String(name, StandardCharsets.UTF_8);
  }

  byte[] bytes() {
    return name.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UnixAbstractAddress a && Arrays.equals(name, a.name);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(name);
  }

  /** Returns {@code @name}, as {@code ss} and {@code lsof} write abstract addresses. */
  @Override
  public String toString() {
    return "@" + name();
  }
}
