package dev.socketserver.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
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
  void helpIsAUsageExceptionWithStatusZero() {
    var e = assertThrows(Options.UsageException.class, () -> SPEC.parse("--port", "1", "--help"));
    assertEquals(0, e.status());
    assertEquals(SPEC.usage(), e.usage());
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
        "--wait -1|--wait: expected a number of seconds, 0 or more, not '-1'",
        "--wait soon|--wait: expected a number of seconds, 0 or more, not 'soon'",
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
