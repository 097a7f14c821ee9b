package dev.socketserver.udp;

import dev.socketserver.api.testing.ActivatedProcess;

/** A child JVM for {@link SocketActivationTest}: {@link ActivatedProcess#serveOne} with a UDP server. */
final class ActivatedUdpServer {
  private ActivatedUdpServer() {}

  public static void main(String[] args) throws Exception {
    ActivatedProcess.serveOne(UdpServer.builder().inheritedChannel());
  }
}
