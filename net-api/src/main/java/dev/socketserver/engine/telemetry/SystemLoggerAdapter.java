package dev.socketserver.engine.telemetry;

import org.jspecify.annotations.Nullable;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * An SLF4J {@link org.slf4j.Logger} that writes to a JDK {@link System.Logger}: what {@link Logs}
 * returns when SLF4J has no provider. Levels map one to one (ERROR to {@code ERROR}, WARN to
 * {@code WARNING}, INFO, DEBUG and TRACE to their namesakes), a level is enabled when the JDK
 * logger says it is loggable, the message is formatted as SLF4J formats it ({@code {}}
 * placeholders), and a trailing throwable is passed on, so its stack trace is printed. Markers
 * are ignored. The fluent API ({@code atLevel(level).log(...)}) and {@code isEnabledForLevel}
 * come from SLF4J's defaults over these methods.
 *
 * <p>Thread-safe if the JDK logger is (the JDK's are).
 */
final class SystemLoggerAdapter extends LegacyAbstractLogger {
  private static final long serialVersionUID = 1L;

  private final transient System.Logger target;

  SystemLoggerAdapter(System.Logger target) {
    this.target = target;
    this.name = target.getName();
  }

  /** The JDK's level for an SLF4J level. */
  static System.Logger.Level level(Level level) {
    return switch (level) {
      case ERROR -> System.Logger.Level.ERROR;
      case WARN -> System.Logger.Level.WARNING;
      case INFO -> System.Logger.Level.INFO;
      case DEBUG -> System.Logger.Level.DEBUG;
      case TRACE -> System.Logger.Level.TRACE;
    };
  }

  @Override
  public boolean isTraceEnabled() {
    return target.isLoggable(System.Logger.Level.TRACE);
  }

  @Override
  public boolean isDebugEnabled() {
    return target.isLoggable(System.Logger.Level.DEBUG);
  }

  @Override
  public boolean isInfoEnabled() {
    return target.isLoggable(System.Logger.Level.INFO);
  }

  @Override
  public boolean isWarnEnabled() {
    return target.isLoggable(System.Logger.Level.WARNING);
  }

  @Override
  public boolean isErrorEnabled() {
    return target.isLoggable(System.Logger.Level.ERROR);
  }

  @Override
  protected String getFullyQualifiedCallerName() {
    return SystemLoggerAdapter.class.getName();
  }

  @Override
  protected void handleNormalizedLoggingCall(
      Level level,
      @Nullable Marker marker,
      String messagePattern,
      @Nullable Object @Nullable [] arguments,
      @Nullable Throwable throwable) {
    String message = MessageFormatter.basicArrayFormat(messagePattern, arguments);
    if (throwable != null) {
      target.log(level(level), message, throwable);
    } else {
      target.log(level(level), message);
    }
  }
}
