package dev.socketserver.unix;

import dev.socketserver.api.testing.ActivatedProcess;

/** A child JVM for {@link SocketActivationTest}: {@link ActivatedProcess#serveOne} with a Unix stream server. */
final class ActivatedUnixServer {
  private ActivatedUnixServer() {}

  public static void main(String[] args) throws Exception {
    ActivatedProcess.serveOne(UnixStreamServer.builder().inheritedChannel());
  }
}
