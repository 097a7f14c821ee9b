/** A user's module: the transports' requires, and through them (transitive) the API. */
module consumer {
  requires dev.socketserver.tcp;
  requires dev.socketserver.udp;

  exports consumer;
}
