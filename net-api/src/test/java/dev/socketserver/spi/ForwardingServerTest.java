package dev.socketserver.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.socketserver.api.Server;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ForwardingServerTest {

  /**
   * A {@code Server} method ForwardingServer does not declare, a default included, would run on
   * the wrapper instead of the server it wraps (as UDP's {@code drain} once did, waiting for
   * itself when a handler called it). Moved here from UdpServerTest with the forwarding.
   */
  @Test
  void everyServerMethodIsForwardedToTheServerItWraps() {
    List<String> missing = Arrays.stream(Server.class.getMethods())
        .filter(m -> !Modifier.isStatic(m.getModifiers()))
        .filter(m -> !declaredByForwardingServer(m))
        .map(Method::toString)
        .toList();
    assertEquals(List.of(), missing, "Server methods ForwardingServer does not forward");
  }

  private static boolean declaredByForwardingServer(Method m) {
    try {
      return ForwardingServer.class.getMethod(m.getName(), m.getParameterTypes()).getDeclaringClass()
          == ForwardingServer.class;
    } catch (NoSuchMethodException e) {
      throw new AssertionError(e); // ForwardingServer implements Server: it has every method
    }
  }
}
