package dev.socketserver.unix;

import dev.socketserver.api.Connection;
import dev.socketserver.engine.telemetry.Logs;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.HashSet;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Predicate;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;

/**
 * Who is at the other end of a Unix-domain socket, as the kernel says: the peer process's user
 * and group, and, where they can be had, their numbers and the process id.
 *
 * <p>What is exposed, precisely:
 * <ul>
 *   <li>Stream connections ({@link UnixStreamServer#peerCredentials}): the kernel records the
 *       peer's pid, effective uid and gid when it connects (SO_PEERCRED), but the JDK gives out
 *       only the user and group <em>names</em> ({@code jdk.net.UnixDomainPrincipal}), and not the
 *       connection's descriptor. {@link #user()} and {@link #group()} are those names (the JDK
 *       writes the number when the system has no name for it). {@link #uid()} and {@link #gid()}
 *       are the numbers those names resolve to ({@code getpwnam_r}/{@code getgrnam_r}, so with
 *       native access only; a numeric name is taken as is); empty when they cannot be resolved.
 *       {@link #pid()} is always empty: only the descriptor would give it.</li>
 *   <li>Datagrams ({@link UnixDatagramServer#peerCredentials}, for those a server or a
 *       {@link UnixDatagramClient} received): the kernel attaches the
 *       sender's pid, uid and gid to each datagram (SO_PASSCRED / SCM_CREDENTIALS), so all three
 *       numbers are there, and the names are looked up from them.</li>
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
public final class PeerCredentials {
  private static final Logger log = Logs.get(PeerCredentials.class);

  private final String user;
  private final String group;
  private final int uid;
  private final int gid;
  private final long pid;

  private PeerCredentials(String user, String group, int uid, int gid, long pid) {
    this.user = user;
    this.group = group;
    this.uid = uid;
    this.gid = gid;
    this.pid = pid;
  }

  /** The credentials of a stream connection's peer. */
  static PeerCredentials of(Connection connection) throws IOException {
    UnixDomainPrincipal p = principal(connection);
    String user = p.user().getName();
    String group = p.group().getName();
    return new PeerCredentials(user, group, Libc.uidOf(user), Libc.gidOf(group), -1);
  }

  /** The credentials the kernel attached to a datagram. */
  static PeerCredentials of(long pid, int uid, int gid) {
    if (uid < 0) {
      return new PeerCredentials("unknown", "unknown", -1, -1, -1);
    }
    return new PeerCredentials(Libc.userName(uid), Libc.groupName(gid), uid, gid, pid);
  }

  private static UnixDomainPrincipal principal(Connection connection) throws IOException {
    try {
      return connection.option(ExtendedSocketOptions.SO_PEERCRED);
    } catch (UnsupportedOperationException e) {
      throw new UnsupportedOperationException(
          "no peer credentials on " + connection + ": only Unix-domain stream connections have them", e);
    }
  }

  /** Returns the peer's user name (its uid as text if the system has no name for it). */
  public String user() {
    return user;
  }

  /** Returns the peer's group name (its gid as text if the system has no name for it). */
  public String group() {
    return group;
  }

  /** Returns the peer's uid, empty if it could not be resolved (see the class comment). */
  public OptionalInt uid() {
    return uid < 0 ? OptionalInt.empty() : OptionalInt.of(uid);
  }

  /** Returns the peer's gid, empty if it could not be resolved (see the class comment). */
  public OptionalInt gid() {
    return gid < 0 ? OptionalInt.empty() : OptionalInt.of(gid);
  }

  /** Returns the peer's process id; always empty for stream connections (see the class comment). */
  public OptionalLong pid() {
    return pid < 0 ? OptionalLong.empty() : OptionalLong.of(pid);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PeerCredentials c
        && user.equals(c.user)
        && group.equals(c.group)
        && uid == c.uid
        && gid == c.gid
        && pid == c.pid;
  }

  @Override
  public int hashCode() {
    return Objects.hash(user, group, uid, gid, pid);
  }

  /** Returns for example {@code PeerCredentials[user=alice(1000), group=staff(50), pid=4242]}. */
  @Override
  public String toString() {
    return "PeerCredentials[user=" + user + (uid < 0 ? "" : "(" + uid + ")")
        + ", group=" + group + (gid < 0 ? "" : "(" + gid + ")")
        + (pid < 0 ? "" : ", pid=" + pid) + "]";
  }

  // ---- filters: the JDK's principals compare by number, so no native access is needed ----

  static Predicate<Connection> allowUsers(Set<String> names) {
    Set<UserPrincipal> allowed = lookUp(names, "user", UserPrincipalLookupService::lookupPrincipalByName);
    return filter("user in " + names, p -> allowed.contains(p.user()));
  }

  static Predicate<Connection> allowGroups(Set<String> names) {
    Set<GroupPrincipal> allowed = lookUp(names, "group", UserPrincipalLookupService::lookupPrincipalByGroupName);
    return filter("group in " + names, p -> allowed.contains(p.group()));
  }

  /** Looks a principal up by name, or by number when no such name exists (the JDK's rule). */
  @FunctionalInterface
  private interface Lookup<P> {
    P lookUp(UserPrincipalLookupService service, String name) throws IOException;
  }

  private static <P> Set<P> lookUp(Set<String> names, String kind, Lookup<P> lookup) {
    UserPrincipalLookupService service = FileSystems.getDefault().getUserPrincipalLookupService();
    Set<P> found = new HashSet<>();
    for (String name : names) {
      try {
        found.add(lookup.lookUp(service, name));
      } catch (IOException e) {
        throw new IllegalArgumentException("no such " + kind + " (and not a number): " + name, e);
      }
    }
    return found;
  }

  private static Predicate<Connection> filter(String what, Predicate<UnixDomainPrincipal> test) {
    return new Predicate<>() {
      @Override
      public boolean test(Connection c) {
        UnixDomainPrincipal p;
        try {
          p = principal(c);
        } catch (IOException e) {
          log.debug("Refusing {}: its credentials cannot be read: {}", c, e.toString());
          return false;
        }
        boolean ok = test.test(p);
        if (!ok) {
          log.debug("Refusing a connection from user {} group {}: not {}", p.user().getName(),
              p.group().getName(), what);
        }
        return ok;
      }

      @Override
      public String toString() {
        return "peer " + what;
      }
    };
  }
}
