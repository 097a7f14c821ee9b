package dev.socketserver.api.internal;

import java.time.Duration;

/** Conversions of timeouts. */
final class ChannelTimeouts {
  private ChannelTimeouts() {}

  /** Returns {@code d} in nanoseconds, saturated at {@link Long#MAX_VALUE}. */
  static long nanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException tooLong) {
      return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }
}
