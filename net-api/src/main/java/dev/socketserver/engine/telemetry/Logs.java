package dev.socketserver.engine.telemetry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.NOPLoggerFactory;

/**
 * The loggers of the library: SLF4J's when a provider is present, else the JDK's
 * {@link System.Logger} behind SLF4J's {@link Logger} interface ({@link SystemLoggerAdapter}), so
 * that no warning or error of the library is silent. Without a provider SLF4J would bind its NOP
 * logger after three lines on stderr, and a handler's failure would leave only a count in
 * {@code ServerMetrics}; the JDK's logger prints to stderr through {@code java.util.logging} by
 * default (INFO and above; DEBUG and TRACE only if configured so).
 *
 * <p>"No provider" is decided once, on first use: SLF4J's logger factory is its
 * {@link NOPLoggerFactory}, which is what SLF4J falls back to when it found no provider, and
 * {@code slf4j-nop} (whose provider returns the same factory, chosen on purpose to discard
 * everything) is not present. Logger names are kept as given (for example
 * {@code dev.socketserver.Server}), so the JDK's logging configuration sees the same names.
 *
 * <p>Thread-safe.
 */
public final class Logs {
  /** Whether SLF4J found no provider: decided when this class is initialised. */
  private static final boolean NO_PROVIDER = noProvider();

  private Logs() {}

  /** Returns the library's logger named after {@code type}. */
  public static Logger get(Class<?> type) {
    return get(type.getName());
  }

  /** Returns the library's logger called {@code name}. */
  public static Logger get(String name) {
    return NO_PROVIDER ? new SystemLoggerAdapter(System.getLogger(name)) : LoggerFactory.getLogger(name);
  }

  /** Whether SLF4J falls back to its NOP logger for want of a provider (not by choice). */
  static boolean noProvider() {
    if (!(LoggerFactory.getILoggerFactory() instanceof NOPLoggerFactory)) {
      return false;
    }
    try {
      Class.forName("org.slf4j.nop.NOPServiceProvider", false, Logs.class.getClassLoader());
      return false; // slf4j-nop: silence was asked for
    } catch (ClassNotFoundException e) {
      return true;
    }
  }
}
