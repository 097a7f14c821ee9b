package dev.socketserver.engine.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.socketserver.engine.endpoint.InheritedListener.Activation;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** systemd's variables read as {@code sd_listen_fds(3)} reads them. */
class InheritedListenerTest {
  @Test
  void noListenFdsOrZeroMeansNoActivation() throws IOException {
    assertTrue(Activation.of(Map.of()).isEmpty());
    assertTrue(Activation.of(Map.of("LISTEN_FDS", "", "LISTEN_PID", "1")).isEmpty());
    assertTrue(Activation.of(Map.of("LISTEN_FDS", "0", "LISTEN_PID", "1")).isEmpty());
  }

  @Test
  void theVariablesAreReadWithTheirNames() throws IOException {
    Activation a = Activation.of(Map.of("LISTEN_FDS", "2", "LISTEN_PID", "4242", "LISTEN_FDNAMES", "web:admin"))
        .orElseThrow();
    assertEquals(new Activation(2, 4242, List.of("web", "admin")), a);
    assertEquals("admin", a.name(1));
    assertEquals("", a.name(2));
    assertEquals("LISTEN_FDS=2 LISTEN_PID=4242 LISTEN_FDNAMES=web:admin", a.toString());
    assertFalse(a.forThisProcess());
  }

  @Test
  void theCurrentPidIsThisProcessAndAMissingOneIsNot() throws IOException {
    String pid = Long.toString(ProcessHandle.current().pid());
    assertTrue(Activation.of(Map.of("LISTEN_FDS", "1", "LISTEN_PID", pid)).orElseThrow().forThisProcess());
    Activation unset = Activation.of(Map.of("LISTEN_FDS", "1")).orElseThrow();
    assertFalse(unset.forThisProcess());
    assertEquals("LISTEN_FDS=1 LISTEN_PID=(unset)", unset.toString());
  }

  @Test
  void aVariableThatIsNotANumberIsRefusedWithItsValue() {
    IOException fds = assertThrows(IOException.class, () -> Activation.of(Map.of("LISTEN_FDS", "one")));
    assertTrue(fds.getMessage().startsWith("LISTEN_FDS is not a number") && fds.getMessage().endsWith("'one'"),
        fds.getMessage());
    IOException pid = assertThrows(IOException.class,
        () -> Activation.of(Map.of("LISTEN_FDS", "1", "LISTEN_PID", "-3")));
    assertTrue(pid.getMessage().startsWith("LISTEN_PID is not a number"), pid.getMessage());
  }
}
