package dev.socketserver.engine.core;

import java.time.Duration;

/** Conversions of timeouts. */
public final class ChannelTimeouts {
  private ChannelTimeouts() {}

  /** Returns {@code d} in nanoseconds, saturated at {@link Long#MAX_VALUE}. */
  public static long nanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException tooLong) {
      return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }
}
