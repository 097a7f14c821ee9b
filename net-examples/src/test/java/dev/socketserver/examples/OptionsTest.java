package dev.socketserver.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(10)
class OptionsTest {
  private static final Options.Spec SPEC =
      Options.usage("demo [--host H] [--port N] [--wait SECONDS] [--limit N] [--quiet]")
          .host("localhost")
          .port(3130)
          .seconds("wait", "5")
          .describe("how long to wait")
          .count("limit")
          .flag("quiet");

  @Test
  void defaultsApplyWhenNothingIsGiven() throws Exception {
    Options o = SPEC.parse();
    assertEquals("localhost", o.string("host"));
    assertEquals(3130, o.integer("port"));
    assertEquals(Duration.ofSeconds(5), o.duration("wait"));
    assertEquals(OptionalInt.empty(), o.optionalInt("limit"));
    assertFalse(o.flag("quiet"));
  }

  @Test
  void givenValuesReplaceTheDefaults() throws Exception {
    Options o = SPEC.parse("--port", "0", "--quiet", "--wait", "0.25", "--limit", "7", "--host", "");
    assertEquals("", o.string("host"));
    assertEquals(0, o.integer("port"));
    assertEquals(Duration.ofMillis(250), o.duration("wait"));
    assertEquals(OptionalInt.of(7), o.optionalInt("limit"));
    assertTrue(o.flag("quiet"));
  }

  @Test
  void helpIsAUsageExceptionWithStatusZeroListingEachOptionWithItsDefault() {
    var e = assertThrows(Options.UsageException.class, () -> SPEC.parse("--port", "1", "--help"));
    assertEquals(0, e.status());
    assertEquals(SPEC.usage(), e.usage());
    assertEquals(
        List.of(
            "  --host   the server's host name or address (default: localhost)",
            "  --port   the server's port (default: 3130)",
            "  --wait   how long to wait (default: 5)",
            "  --limit",
            "  --quiet"),
        e.options());
  }

  @Test
  void aServerListensOnLoopbackUnlessTold() throws Exception {
    Options.Spec server = Options.usage("server [--host H] [--port N]").listen(3130).timeouts("60s", "0");
    Options o = server.parse();
    assertEquals("127.0.0.1", o.string("host"));
    assertEquals(Duration.ofSeconds(60), o.duration("idle-timeout"));
    assertEquals(Duration.ZERO, o.duration("read-timeout"));
    assertTrue(server.help().getFirst().endsWith("(default: 127.0.0.1)"), server.help()::toString);
  }

  @ParameterizedTest
  @CsvSource({"0, PT0S", "5, PT5S", "0.25, PT0.25S", "500ms, PT0.5S", "30s, PT30S", "2m, PT2M", "1.5m, PT1M30S", "' 7 s ', PT7S"})
  void secondsMayHaveAUnit(String text, String duration) throws Exception {
    assertEquals(Duration.parse(duration), SPEC.parse("--wait", text).duration("wait"));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "--bogus|unknown option --bogus",
        "-x|unknown option -x",
        "stray|unexpected argument stray",
        "--port|--port needs a value",
        "--port x|--port: expected a whole number 0..65535, not 'x'",
        "--port 65536|--port: expected a whole number 0..65535, not '65536'",
        "--limit 0|--limit: expected a whole number 1..2147483647, not '0'",
        "--wait -1|--wait: expected a number of seconds, 0 or more (5, 0.5, 500ms, 30s, 2m), not '-1'",
        "--wait soon|--wait: expected a number of seconds, 0 or more (5, 0.5, 500ms, 30s, 2m), not 'soon'",
        "--wait 5h|--wait: expected a number of seconds, 0 or more (5, 0.5, 500ms, 30s, 2m), not '5h'",
      })
  void aWrongCommandLineIsAUsageExceptionWithStatusTwoThatSaysWhatIsWrong(String args, String message) {
    var e = assertThrows(Options.UsageException.class, () -> SPEC.parse(args.split(" ")));
    assertEquals(2, e.status());
    assertEquals(message, e.getMessage());
  }

  @Test
  void anUndeclaredNameIsAProgrammingError() throws Exception {
    Options o = SPEC.parse();
    assertThrows(IllegalArgumentException.class, () -> o.string("nope"));
  }
}
