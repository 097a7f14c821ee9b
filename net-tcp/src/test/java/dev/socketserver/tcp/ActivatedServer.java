package dev.socketserver.tcp;

import dev.socketserver.api.testing.ActivatedProcess;

/** A child JVM for {@link SocketActivationTest}: {@link ActivatedProcess#serveOne} with a TCP server. */
final class ActivatedServer {
  private ActivatedServer() {}

  public static void main(String[] args) throws Exception {
    ActivatedProcess.serveOne(TcpServer.builder().inheritedChannel());
  }
}
