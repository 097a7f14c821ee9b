package dev.socketserver.engine.core;

import dev.socketserver.spi.Acceptor;
import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;

/**
 * Names the client in the log's MDC (key {@value #KEY}) while a handler runs, if the SLF4J
 * provider keeps an MDC at all. One that does not (slf4j-simple, slf4j-nop, no provider) gets no
 * description: formatting the client's address for each turn cost about 1 % of a server's CPU
 * at small messages, for a value nobody stores.
 *
 * <p>Immutable and thread-safe; the MDC it writes is the calling thread's.
 */
final class ClientMdc {
  static final String KEY = "client";

  /** The MDC of the SLF4J provider in use. */
  static final ClientMdc PROVIDED = new ClientMdc(MDC.getMDCAdapter());

  // Null if the provider keeps no MDC.
  private final @Nullable MDCAdapter adapter;

  ClientMdc(@Nullable MDCAdapter adapter) {
    this.adapter = adapter instanceof NOPMDCAdapter ? null : adapter;
  }

  /** Puts the client of {@code request} into this thread's MDC; {@link #remove()} takes it out. */
  <R> void put(Acceptor<R> acceptor, R request) {
    MDCAdapter a = adapter;
    if (a != null) {
      a.put(KEY, acceptor.describe(request));
    }
  }

  void remove() {
    MDCAdapter a = adapter;
    if (a != null) {
      a.remove(KEY);
    }
  }
}
