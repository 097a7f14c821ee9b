package dev.socketserver.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The pollers option of stream builders: its default and its bounds. */
class PollersSettingTest {

  @Test
  void byDefaultOnePollerPerProcessorSharedAmongTheWorkers() {
    assertEquals(8, ServerSettings.defaultPollers(8, 1));
    assertEquals(2, ServerSettings.defaultPollers(8, 4), "a worker of four gets a quarter of the cores");
    assertEquals(2, ServerSettings.defaultPollers(8, 3));
    assertEquals(1, ServerSettings.defaultPollers(2, 4), "never fewer than one");
    assertEquals(1, ServerSettings.defaultPollers(1, 1));
    assertEquals(ServerSettings.MAX_POLLERS, ServerSettings.defaultPollers(4096, 1));
  }

  @Test
  void theDefaultFollowsThisProcess() {
    // Not a worker in the test JVM: one per available processor.
    assertEquals(Math.min(ServerSettings.MAX_POLLERS, Runtime.getRuntime().availableProcessors()),
        ServerSettings.defaultPollers());
  }

  @Test
  void aBuilderTakesOneTo1024Pollers() {
    assertEquals(1, ServerSettings.checkPollers(1));
    assertEquals(1024, ServerSettings.checkPollers(1024));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServerSettings.checkPollers(0));
    assertEquals("pollers must be 1..1024: 0", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ServerSettings.checkPollers(1025));
  }
}
