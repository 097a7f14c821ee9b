package dev.socketserver.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(10)
class MainTest {
  /** The seed's programs: they must always be there. */
  private static final List<String> SEED =
      List.of("hello", "welcome", "welcome-client", "echo", "echo-client", "socket-basics");
  private static final List<String> NAMES = Main.names();

  static List<String> names() {
    return NAMES;
  }

  @Test
  void everySeedProgramIsAnExample() {
    assertTrue(NAMES.containsAll(SEED), NAMES::toString);
  }

  private final Loopback.Captured out = new Loopback.Captured();
  private final Loopback.Captured err = new Loopback.Captured();

  @ParameterizedTest
  @ValueSource(strings = {"", "--help", "-h", "help"})
  void noNameOrHelpListsEveryExampleWithOneLineEach(String arg) {
    String[] args = arg.isEmpty() ? new String[0] : new String[] {arg};
    assertEquals(0, Main.run(args, out, err));
    List<String> lines = out.lines();
    assertEquals(1 + NAMES.size(), lines.size(), () -> String.join("\n", lines));
    for (int i = 0; i < NAMES.size(); i++) {
      assertTrue(lines.get(i + 1).strip().startsWith(NAMES.get(i) + " "), lines.get(i + 1));
    }
    assertEquals(List.of(), err.lines());
  }

  @Test
  void anUnknownNameListsTheExamplesAndExitsTwo() {
    assertEquals(2, Main.run(new String[] {"nope"}, out, err));
    assertEquals("unknown example: nope", err.lines().getFirst());
    assertEquals(2 + NAMES.size(), err.lines().size());
  }

  @ParameterizedTest
  @MethodSource("names")
  void everyExamplePrintsItsUsageLineAndEachOptionWithItsDefaultOnHelp(String name) {
    assertEquals(0, Main.run(new String[] {name, "--help"}, out, err));
    assertEquals(List.of(), err.lines());
    List<String> lines = out.lines();
    assertTrue(lines.getFirst().startsWith("usage: ./run " + name + " ["), lines.getFirst());
    assertTrue(lines.size() > 1, lines::toString);
    for (String option : lines.subList(1, lines.size())) {
      assertTrue(option.startsWith("  --"), option);
      String optionName = option.strip().split(" ")[0];
      assertTrue(lines.getFirst().matches("(?s).*[\\[ |]" + Pattern.quote(optionName) + "[\\] ].*"),
          optionName + " is missing from the usage line " + lines.getFirst());
    }
  }

  /** echo faces the network: its help names where it listens, its timeouts and whom it trusts. */
  @Test
  void echoHelpNamesTheDefaultsThatKeepItSafeToExpose() {
    assertEquals(0, Main.run(new String[] {"echo", "--help"}, out, err));
    String help = String.join("\n", out.lines());
    assertTrue(help.matches("(?s).*\n  --host +the address to listen on.*\\(default: 127\\.0\\.0\\.1\\)\n.*"), help);
    assertTrue(help.matches("(?s).*\n  --port .*\\(default: 3130\\)\n.*"), help);
    assertTrue(help.matches("(?s).*\n  --idle-timeout .*\\(default: 60s\\)\n.*"), help);
    assertTrue(help.matches("(?s).*\n  --read-timeout .*\\(default: 30s\\)\n.*"), help);
    assertTrue(help.matches("(?s).*\n  --trusted .*loopback only \\(default: 127\\.0\\.0\\.1/32,::1/128\\)(\n.*)?"), help);
  }

  @Test
  void anUnknownOptionPrintsTheProblemAndTheUsageAndExitsTwo() {
    assertEquals(2, Main.run(new String[] {"echo", "--bogus"}, out, err));
    assertEquals("echo: unknown option --bogus", err.lines().get(0));
    assertTrue(err.lines().get(1).startsWith("usage: ./run echo "));
  }

  @Test
  void aBadNumberPrintsAClearMessageAndExitsTwo() {
    assertEquals(2, Main.run(new String[] {"hello", "--port", "http"}, out, err));
    assertEquals("hello: --port: expected a whole number 0..65535, not 'http'", err.lines().get(0));
  }

  @Test
  void aBadConcurrencyPrintsWhatIsExpectedAndExitsTwo() {
    assertEquals(2, Main.run(new String[] {"echo", "--concurrency", "forking"}, out, err));
    assertEquals(
        "echo: --concurrency: expected sequential, platform, virtual, pool:N or processes:N, not 'forking'",
        err.lines().get(0));
  }

  @Test
  void aFailureOfTheExampleItselfExitsOne() throws Exception {
    // A port nobody listens on: bind one, close it, then let echo-client connect to it.
    int port;
    try (var probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    assertEquals(1, Main.run(new String[] {"welcome-client", "--host", "127.0.0.1", "--port", "" + port, "--delay", "0"}, out, err));
    assertTrue(err.lines().getFirst().startsWith("welcome-client: java.net.ConnectException"), err.lines().getFirst());
  }
}
