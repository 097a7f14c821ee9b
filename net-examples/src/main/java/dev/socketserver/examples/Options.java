package dev.socketserver.examples;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The parsed command-line options of one example: {@code --name value} pairs and
 * {@code --flag}s, declared with their defaults in a {@link Spec} and checked as they are parsed,
 * so a bad value fails before anything is opened.
 *
 * {@snippet :
 * static final Options.Spec OPTIONS =
 *     Options.usage("hello [--host H] [--port N]").host("").port(2525);
 *
 * Options options = OPTIONS.parse(args); // "--port 0" or nothing at all
 * int port = options.integer("port");
 * }
 *
 * <p>Immutable and thread-safe.
 */
final class Options {
  private final Set<String> declared;
  private final Map<String, Object> values; // optional options that were not given are absent

  private Options(Set<String> declared, Map<String, Object> values) {
    this.declared = declared;
    this.values = values;
  }

  /** Starts the declaration of an example's options; {@code usage} is its usage line. */
  static Spec usage(String usage) {
    return new Spec(usage, Map.of());
  }

  /** Returns the value of the text option {@code name}. */
  String string(String name) {
    return get(name, String.class);
  }

  /** Returns the value of the number option {@code name} (a port, for example). */
  int integer(String name) {
    return get(name, Integer.class);
  }

  /** Returns the value of the optional number option {@code name}, empty if it was not given. */
  OptionalInt optionalInt(String name) {
    return values.get(declared(name)) instanceof Integer i ? OptionalInt.of(i) : OptionalInt.empty();
  }

  /** Returns the value of the seconds option {@code name}. */
  Duration duration(String name) {
    return get(name, Duration.class);
  }

  /** Returns whether the flag {@code name} was given. */
  boolean flag(String name) {
    return get(name, Boolean.class);
  }

  /** Returns the value of option {@code name}, converted by the parser it was declared with. */
  <T> T get(String name, Class<T> type) {
    Object value = values.get(declared(name));
    if (value == null) {
      throw new IllegalArgumentException("option --" + name + " has no value and no default");
    }
    return type.cast(value);
  }

  private String declared(String name) {
    if (!declared.contains(name)) {
      throw new IllegalArgumentException("no option --" + name + " was declared");
    }
    return name;
  }

  /**
   * Parses a whole number in {@code min..max}.
   *
   * @throws IllegalArgumentException if {@code text} is not such a number; the message says what
   *     is expected
   */
  static int parseInt(String text, int min, int max) {
    String expected = "expected a whole number " + min + ".." + max + ", not '" + text + "'";
    int value;
    try {
      value = Integer.parseInt(text.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(expected, e);
    }
    if (value < min || value > max) {
      throw new IllegalArgumentException(expected);
    }
    return value;
  }

  /** The declared options of one example and its usage line. Immutable and thread-safe. */
  static final class Spec {
    /** An option: its default ({@code null}: none) and how its text becomes a value. */
    private record Option(@Nullable String defaultText, Function<String, ?> parser, boolean flag) {}

    private final String usage;
    private final Map<String, Option> options;

    private Spec(String usage, Map<String, Option> options) {
      this.usage = usage;
      this.options = options;
    }

    /** Returns the usage line, for example {@code "hello [--host H] [--port N]"}. */
    String usage() {
      return usage;
    }

    /** Declares {@code --host}: a host name or address; {@code ""} means every interface. */
    Spec host(String defaultHost) {
      return text("host", defaultHost);
    }

    /** Declares {@code --port}: 0..65535, where 0 lets the system pick a free port. */
    Spec port(int defaultPort) {
      return option("port", Integer.toString(defaultPort), t -> parseInt(t, 0, 0xFFFF));
    }

    /** Declares a text option. */
    Spec text(String name, String defaultText) {
      return option(name, defaultText, t -> t);
    }

    /** Declares an optional number option of at least 1, absent unless given. */
    Spec count(String name) {
      return add(name, new Option(null, t -> parseInt(t, 1, Integer.MAX_VALUE), false));
    }

    /** Declares an option of seconds, possibly fractional ({@code 0.5}), at least 0. */
    Spec seconds(String name, String defaultSeconds) {
      return option(name, defaultSeconds, Options::parseSeconds);
    }

    /** Declares a flag: no value, {@code true} when given. */
    Spec flag(String name) {
      return add(name, new Option("false", Boolean::valueOf, true));
    }

    /**
     * Declares an option whose text {@code parser} turns into a value; the parser throws
     * {@link IllegalArgumentException} with a message that says what is expected.
     */
    Spec option(String name, String defaultText, Function<String, ?> parser) {
      return add(name, new Option(defaultText, parser, false));
    }

    private Spec add(String name, Option option) {
      var more = new LinkedHashMap<>(options);
      if (more.put(name, option) != null) {
        throw new IllegalArgumentException("option --" + name + " declared twice");
      }
      return new Spec(usage, more);
    }

    /**
     * Parses {@code args}.
     *
     * @throws UsageException for {@code --help} (status 0), an unknown option, a missing or bad
     *     value (status 2)
     */
    Options parse(String... args) throws UsageException {
      var given = new LinkedHashMap<String, String>();
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        if (arg.equals("--help") || arg.equals("-h")) {
          throw new UsageException(usage, null);
        }
        Option option = arg.startsWith("--") ? options.get(arg.substring(2)) : null;
        if (option == null) {
          throw new UsageException(usage, (arg.startsWith("-") ? "unknown option " : "unexpected argument ") + arg);
        }
        if (option.flag()) {
          given.put(arg.substring(2), "true");
        } else if (i + 1 < args.length) {
          given.put(arg.substring(2), args[++i]);
        } else {
          throw new UsageException(usage, arg + " needs a value");
        }
      }
      var values = new HashMap<String, Object>();
      for (var e : options.entrySet()) {
        String text = given.getOrDefault(e.getKey(), e.getValue().defaultText());
        if (text == null) {
          continue; // an optional option that was not given
        }
        try {
          values.put(e.getKey(), e.getValue().parser().apply(text));
        } catch (IllegalArgumentException bad) {
          throw new UsageException(usage, "--" + e.getKey() + ": " + bad.getMessage());
        }
      }
      return new Options(Set.copyOf(options.keySet()), Map.copyOf(values));
    }
  }

  private static Duration parseSeconds(String text) {
    String expected = "expected a number of seconds, 0 or more, not '" + text + "'";
    BigDecimal seconds;
    try {
      seconds = new BigDecimal(text.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(expected, e);
    }
    if (seconds.signum() < 0) {
      throw new IllegalArgumentException(expected);
    }
    try {
      return Duration.ofNanos(seconds.movePointRight(9).setScale(0, RoundingMode.UP).longValueExact());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("too many seconds: " + text, e);
    }
  }

  /**
   * The command line was wrong, or asked for help: {@link #status()} is what the process exits
   * with, and the caller prints {@link #getMessage()} (if any) and the usage line.
   */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String usage;
    private final boolean help;

    UsageException(String usage, @Nullable String problem) {
      super(problem == null ? "help requested" : problem);
      this.usage = usage;
      this.help = problem == null;
    }

    /** Returns the usage line of the example. */
    String usage() {
      return usage;
    }

    /** Returns 0 when help was asked for, 2 for a wrong command line. */
    int status() {
      return help ? 0 : 2;
    }
  }
}
