package dev.socketserver.api;

import java.time.Duration;

/**
 * How a {@link Server#drain(Duration)} ended: whether every request in flight finished by
 * itself, or some had to be cut.
 *
 * <p>Immutable and thread-safe.
 *
 * @param graceful whether every request finished before the deadline, none was cut
 * @param cut the requests stopped when the deadline passed: their threads interrupted, their
 *     connections closed
 * @param terminated whether the server terminated; {@code false} if a cut request still ran
 *     after the grace period (a handler that ignores interrupts and is not blocked in I/O)
 * @param took how long the drain took
 */
public record DrainReport(boolean graceful, long cut, boolean terminated, Duration took) {}
