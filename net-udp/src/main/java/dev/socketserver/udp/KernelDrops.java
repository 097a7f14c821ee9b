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
 * Reads how many datagrams the kernel dropped for the UDP sockets of one server of this process:
 * the {@code drops} column of Linux's {@code /proc/net/udp} and {@code /proc/net/udp6}, found by
 * the sockets' inodes, summed.
 *
 * <p>The JDK gives no way to ask a socket for its drops (no {@code SO_RXQ_OVFL}, no descriptor
 * number), so the sockets are recognised as the only sockets of this process bound to their local
 * port (a server with several pollers binds several). Where there is no {@code /proc} (not
 * Linux), or other sockets of this process share the port (SO_REUSEPORT), nothing can be
 * counted. Immutable and thread-safe.
 */
final class KernelDrops {
  private static final List<Path> TABLES = List.of(Path.of("/proc/net/udp"), Path.of("/proc/net/udp6"));
  private static final Path FDS = Path.of("/proc/self/fd");
  // Columns of a /proc/net/udp row: sl local_address rem_address st tx:rx tr:when retrnsmt uid
  // timeout inode ref pointer drops.
  private static final int LOCAL = 1;
  private static final int INODE = 9;
  private static final int DROPS = 12;

  private final Set<String> inodes;

  private KernelDrops(Set<String> inodes) {
    this.inodes = Set.copyOf(inodes);
  }

  /**
   * Finds this process's {@code sockets} sockets bound to {@code local}'s port; null if there are
   * more (they cannot be told apart) or this is not Linux.
   */
  static @Nullable KernelDrops find(InetSocketAddress local, int sockets) {
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
      return found.size() == sockets ? new KernelDrops(found) : null;
    } catch (IOException | UncheckedIOException e) {
      return null;
    }
  }

  /** Returns the sockets' drops so far, empty once they are gone. */
  OptionalLong read() {
    try {
      long sum = 0;
      int seen = 0;
      for (List<String> row : rows()) {
        if (inodes.contains(row.get(INODE))) {
          sum += Long.parseLong(row.get(DROPS));
          seen++;
        }
      }
      if (seen > 0) {
        return OptionalLong.of(sum);
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
