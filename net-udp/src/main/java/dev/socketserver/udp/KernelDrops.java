package dev.socketserver.udp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Reads how many datagrams the kernel dropped for one UDP socket of this process: the
 * {@code drops} column of Linux's {@code /proc/net/udp} and {@code /proc/net/udp6}, found by the
 * socket's inode.
 *
 * <p>The JDK gives no way to ask a socket for its drops (no {@code SO_RXQ_OVFL}, no descriptor
 * number), so the socket is recognised as the only socket of this process bound to its local
 * port. Where there is no {@code /proc} (not Linux), or several of this process's sockets share
 * the port (SO_REUSEPORT), nothing can be counted. Immutable and thread-safe.
 */
final class KernelDrops {
  private static final List<Path> TABLES = List.of(Path.of("/proc/net/udp"), Path.of("/proc/net/udp6"));
  private static final Path FDS = Path.of("/proc/self/fd");
  // Columns of a /proc/net/udp row: sl local_address rem_address st tx:rx tr:when retrnsmt uid
  // timeout inode ref pointer drops.
  private static final int LOCAL = 1;
  private static final int INODE = 9;
  private static final int DROPS = 12;

  private final String inode;

  private KernelDrops(String inode) {
    this.inode = inode;
  }

  /**
   * Finds this process's socket bound to {@code local}'s port; null if it cannot be told apart
   * or this is not Linux.
   */
  static @Nullable KernelDrops find(InetSocketAddress local) {
    if (!Files.isReadable(TABLES.get(0))) {
      return null;
    }
    String port = String.format(Locale.ROOT, ":%04X", local.getPort());
    try {
      Set<String> ours = socketInodes();
      Set<String> found = new HashSet<>();
      for (List<String> row : rows()) {
        if (row.get(LOCAL).endsWith(port) && ours.contains(row.get(INODE))) {
          found.add(row.get(INODE));
        }
      }
      return found.size() == 1 ? new KernelDrops(found.iterator().next()) : null;
    } catch (IOException | UncheckedIOException e) {
      return null;
    }
  }

  /** Returns the socket's drops so far, empty once the socket is gone. */
  OptionalLong read() {
    try {
      for (List<String> row : rows()) {
        if (row.get(INODE).equals(inode)) {
          return OptionalLong.of(Long.parseLong(row.get(DROPS)));
        }
      }
    } catch (IOException | UncheckedIOException | NumberFormatException e) {
      // the table changed shape or vanished: nothing to count
    }
    return OptionalLong.empty();
  }

  private static List<List<String>> rows() throws IOException {
    List<List<String>> rows = new java.util.ArrayList<>();
    for (Path table : TABLES) {
      if (!Files.isReadable(table)) {
        continue;
      }
      List<String> lines = Files.readAllLines(table);
      for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
        List<String> row = List.of(line.trim().split("\\s+"));
        if (row.size() > DROPS) {
          rows.add(row);
        }
      }
    }
    return rows;
  }

  private static Set<String> socketInodes() throws IOException {
    Set<String> inodes = new HashSet<>();
    try (Stream<Path> fds = Files.list(FDS)) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[") && target.endsWith("]")) {
            inodes.add(target.substring("socket:[".length(), target.length() - 1));
          }
        } catch (IOException e) {
          // closed since it was listed
        }
      }
    }
    return inodes;
  }
}
