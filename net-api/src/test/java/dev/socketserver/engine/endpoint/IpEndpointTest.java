package dev.socketserver.engine.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.api.Concurrency;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The IP endpoint TCP's and UDP's builders share: checked once here for both. */
@Timeout(30)
class IpEndpointTest {

  @Test
  void processesCannotShareAnInheritedChannel() {
    IpEndpoint endpoint = new IpEndpoint("TCP server", true);
    endpoint.inherit();
    assertTrue(endpoint.inherited(Concurrency.virtualThreads()));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> endpoint.inherited(Concurrency.processes(2)));
    assertTrue(e.getMessage().contains("cannot share an inherited channel"), e.getMessage());
    endpoint.bind("127.0.0.1", 0); // binding again forgets the inherited socket
    assertFalse(endpoint.inherited(Concurrency.processes(2)));
  }

  @Test
  void noAddressFailsSayingWhatToCall() {
    IpEndpoint endpoint = new IpEndpoint("UDP server", false);
    IllegalStateException e = assertThrows(IllegalStateException.class, endpoint::address);
    assertTrue(e.getMessage().contains("bind(...) or inheritedChannel()"), e.getMessage());
  }

  @Test
  void aPortInUseFailsNamingItAndClosesTheChannel() throws Exception {
    try (ServerSocketChannel holder = ServerSocketChannel.open()) {
      holder.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      InetSocketAddress taken = (InetSocketAddress) holder.getLocalAddress();
      IpEndpoint endpoint = new IpEndpoint("TCP server", false);
      endpoint.bind(taken);
      AtomicReference<ServerSocketChannel> opened = new AtomicReference<>();
      BindException e = assertThrows(BindException.class, () -> endpoint.open(endpoint.address(),
          f -> {
            opened.set(f == null ? ServerSocketChannel.open() : ServerSocketChannel.open(f));
            return opened.get();
          },
          (channel, at) -> channel.bind(at), false));
      assertTrue(e.getMessage().contains("cannot bind TCP server to " + taken), e.getMessage());
      assertTrue(e.getMessage().contains("port " + taken.getPort()), e.getMessage());
      assertFalse(opened.get().isOpen(), "the channel that could not bind is closed");
      assertEquals(BindException.class, e.getCause().getClass());
    }
  }
}
