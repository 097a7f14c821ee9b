package dev.socketserver.engine.telemetry;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;
import org.jspecify.annotations.Nullable;

/**
 * The JDK Flight Recorder events of servers, shown by {@code jfr print --events
 * 'dev.socketserver.*'}. Each is built only when the recording wants it
 * ({@code shouldCommit()}), so they cost a branch when JFR is off. Fields are null only before
 * they are set (JFR instantiates event classes reflectively).
 */
public final class Events {
  private Events() {}

  @Name("dev.socketserver.ConnectionAccepted")
  @Label("Connection Accepted")
  @Category("socketserver")
  @StackTrace(false)
  static final class ConnectionAccepted extends Event {
    @Label("Client") @Nullable String client;
    @Label("Local Address") @Nullable String local;
  }

  @Name("dev.socketserver.ConnectionClosed")
  @Label("Connection Closed")
  @Category("socketserver")
  @Description("A server's or client's connection closed, with its lifetime and traffic")
  @StackTrace(false)
  static final class ConnectionClosed extends Event {
    @Label("Peer") @Nullable String peer;
    @Label("Lifetime") @Timespan(Timespan.NANOSECONDS) long lifetime;
    @Label("Bytes Read") @DataAmount long bytesRead;
    @Label("Bytes Written") @DataAmount long bytesWritten;
    @Label("Reason") @Nullable String reason;
  }

  @Name("dev.socketserver.HandlerFailed")
  @Label("Handler Failed")
  @Category("socketserver")
  @StackTrace(false)
  static final class HandlerFailed extends Event {
    @Label("Client") @Nullable String client;
    @Label("Exception") @Nullable String exception;
    @Label("Message") @Nullable String message;
  }

  @Name("dev.socketserver.LimitReached")
  @Label("Limit Reached")
  @Category("socketserver")
  @StackTrace(false)
  static final class LimitReached extends Event {
    @Label("Limit") @Nullable String limit;
    @Label("Where") @Nullable String where;
    @Label("Value") @Nullable String value;
  }

  public static void accepted(Object client, Object local) {
    ConnectionAccepted e = new ConnectionAccepted();
    if (e.shouldCommit()) {
      e.client = String.valueOf(client);
      e.local = String.valueOf(local);
      e.commit();
    }
  }

  public static void closed(Object peer, long lifetimeNanos, long read, long written, String reason) {
    ConnectionClosed e = new ConnectionClosed();
    if (e.shouldCommit()) {
      e.peer = String.valueOf(peer);
      e.lifetime = lifetimeNanos;
      e.bytesRead = read;
      e.bytesWritten = written;
      e.reason = reason;
      e.commit();
    }
  }

  public static void handlerFailed(String client, Throwable error) {
    HandlerFailed e = new HandlerFailed();
    if (e.shouldCommit()) {
      e.client = client;
      e.exception = error.getClass().getName();
      e.message = String.valueOf(error.getMessage());
      e.commit();
    }
  }

  static void limitReached(Limit limit, Object where, Object value) {
    LimitReached e = new LimitReached();
    if (e.shouldCommit()) {
      e.limit = limit.key();
      e.where = String.valueOf(where);
      e.value = String.valueOf(value);
      e.commit();
    }
  }
}
