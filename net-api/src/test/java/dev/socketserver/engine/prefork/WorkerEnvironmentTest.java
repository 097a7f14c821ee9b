package dev.socketserver.engine.prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The variable a supervisor hands its workers survives the trip, whatever the address family. */
class WorkerEnvironmentTest {

  @Test
  void aWorkerEnvironmentReadsBackAsWritten() {
    for (String host : new String[] {"127.0.0.1", "::1", "::", "0.0.0.0"}) {
      var env = new WorkerEnvironment(
          1, 4, 2, new InetSocketAddress(InetAddress.ofLiteral(host), 3130), Path.of("/tmp/a file"));
      assertEquals(env, WorkerEnvironment.parse(env.format()));
    }
  }

  @Test
  void aMalformedVariableSaysWhatIsWrongAndThatNobodySetsItByHand() {
    var e = assertThrows(IllegalStateException.class, () -> WorkerEnvironment.parse("2 2 0 127.0.0.1 1 /f"));
    assertTrue(e.getMessage().contains("index 2 not in 0..1") && e.getMessage().contains("never by hand"),
        e.getMessage());
    assertThrows(IllegalStateException.class, () -> WorkerEnvironment.parse("0 1 0 localhost 1 /f"));
    assertThrows(IllegalStateException.class, () -> WorkerEnvironment.parse("0 1"));
  }
}
