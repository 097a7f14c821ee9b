package dev.socketserver.engine.core;

import dev.socketserver.api.Server;
import java.io.IOException;

/**
 * Fake servers for tests of other engine packages: a whole {@link ServerCore} over a {@link
 * FakeAcceptor}, no socket. Public so that a test program run in another JVM (on the class path)
 * can build one.
 */
public final class FakeServers {
  private FakeServers() {}

  /** Returns a new fake server, not yet serving, whose handler ignores its requests. */
  public static Server idle() throws IOException {
    return new FakeServerBuilder().handler(r -> {}).build();
  }
}
