package dev.socketserver.examples;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The parsed command-line options of one example: {@code --name value} pairs and
 * {@code --flag}s, declared with their defaults and a line of help in a {@link Spec} and checked
 * as they are parsed, so a bad value fails before anything is opened. {@code --help} lists every
 * option with its default.
 *
 * {@snippet :
 * static final Options.Spec OPTIONS =
 *     Options.usage("hello [--host H] [--port N]").listen(2525);
 *
 * Options options = OPTIONS.parse(args); // "--port 0" or nothing at all
 * int port = options.integer("port");
 * }
 *
 * <p>Immutable and thread-safe.
 */
final class Options {
  /**
   * Where a server example listens unless {@code --host} says otherwise: loopback, so that a demo
   * started on a machine with a public address is not served to the network by surprise.
   */
  static final String LOOPBACK = "127.0.0.1";

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

  /** Returns the value of the seconds option {@code name}; {@link Duration#ZERO} for 0. */
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
    /**
     * An option: its default ({@code null}: none), how its text becomes a value, and its line of
     * help ({@code ""}: none yet).
     */
    private record Option(@Nullable String defaultText, Function<String, ?> parser, boolean flag, String help) {
      Option described(String text) {
        return new Option(defaultText, parser, flag, text);
      }
    }

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

    /** Declares {@code --host}, the server a client talks to: a host name or address. */
    Spec host(String defaultHost) {
      return text("host", defaultHost).describe("the server's host name or address");
    }

    /** Declares {@code --port}, the server's port a client talks to: 0..65535. */
    Spec port(int defaultPort) {
      return portOption(defaultPort).describe("the server's port");
    }

    private Spec portOption(int defaultPort) {
      return option("port", Integer.toString(defaultPort), t -> parseInt(t, 0, 0xFFFF));
    }

    /**
     * Declares where a server listens: {@code --host}, {@link #LOOPBACK} unless given ({@code ""}
     * for every interface), and {@code --port}, where 0 lets the system pick a free port.
     */
    Spec listen(int defaultPort) {
      return text("host", LOOPBACK)
          .describe("the address to listen on; \"\" (or 0.0.0.0, ::) listens on every interface")
          .portOption(defaultPort)
          .describe("the port to listen on; 0 picks a free one, named in the \"listening on\" line");
    }

    /**
     * Declares {@code --idle-timeout} and {@code --read-timeout}, in seconds (0: none), with these
     * defaults: how long a connection may move no byte either way, and how long a read may wait.
     */
    Spec timeouts(String defaultIdle, String defaultRead) {
      return seconds("idle-timeout", defaultIdle)
          .describe("close a connection that moves no byte either way for this long (a silent client,"
              + " or one that never reads); 0: never")
          .seconds("read-timeout", defaultRead)
          .describe("close a connection whose client sends nothing for this long while the server waits"
              + " to read; 0: never");
    }

    /** Declares a text option. */
    Spec text(String name, String defaultText) {
      return option(name, defaultText, t -> t);
    }

    /** Declares an optional number option of at least 1, absent unless given. */
    Spec count(String name) {
      return add(name, new Option(null, t -> parseInt(t, 1, Integer.MAX_VALUE), false, ""));
    }

    /**
     * Declares an option of seconds, at least 0: a number, possibly fractional ({@code 0.5}),
     * optionally with a unit ({@code 500ms}, {@code 30s}, {@code 2m}).
     */
    Spec seconds(String name, String defaultSeconds) {
      return option(name, defaultSeconds, Options::parseSeconds);
    }

    /** Declares a flag: no value, {@code true} when given. */
    Spec flag(String name) {
      return add(name, new Option("false", Boolean::valueOf, true, ""));
    }

    /**
     * Declares an option whose text {@code parser} turns into a value; the parser throws
     * {@link IllegalArgumentException} with a message that says what is expected.
     */
    Spec option(String name, String defaultText, Function<String, ?> parser) {
      return add(name, new Option(defaultText, parser, false, ""));
    }

    /** Gives the option declared last its line of help in {@code --help}, which adds its default. */
    Spec describe(String help) {
      if (options.isEmpty()) {
        throw new IllegalStateException("describe(\"" + help + "\") before any option was declared");
      }
      var more = new LinkedHashMap<>(options);
      var last = more.lastEntry();
      more.put(last.getKey(), last.getValue().described(help));
      return new Spec(usage, more);
    }

    private Spec add(String name, Option option) {
      var more = new LinkedHashMap<>(options);
      if (more.put(name, option) != null) {
        throw new IllegalArgumentException("option --" + name + " declared twice");
      }
      return new Spec(usage, more);
    }

    /**
     * Returns what {@code --help} prints after the usage line: one line per option, in the order
     * declared, with its help and its default ({@code --trusted  ... (default: 127.0.0.1/32,::1/128)}).
     */
    List<String> help() {
      int width = options.keySet().stream().mapToInt(String::length).max().orElse(0) + 2;
      List<String> lines = new ArrayList<>();
      for (var e : options.entrySet()) {
        Option o = e.getValue();
        String text = o.help();
        if (!o.flag() && o.defaultText() != null) {
          String shown = o.defaultText().isEmpty() ? "\"\"" : o.defaultText();
          text = (text.isEmpty() ? "" : text + " ") + "(default: " + shown + ")";
        }
        lines.add(("  --" + e.getKey() + " ".repeat(width - e.getKey().length()) + text).stripTrailing());
      }
      return List.copyOf(lines);
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
          throw new UsageException(usage, help(), null);
        }
        Option option = arg.startsWith("--") ? options.get(arg.substring(2)) : null;
        if (option == null) {
          throw problem((arg.startsWith("-") ? "unknown option " : "unexpected argument ") + arg);
        }
        if (option.flag()) {
          given.put(arg.substring(2), "true");
        } else if (i + 1 < args.length) {
          given.put(arg.substring(2), args[++i]);
        } else {
          throw problem(arg + " needs a value");
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
          throw problem("--" + e.getKey() + ": " + bad.getMessage());
        }
      }
      return new Options(Set.copyOf(options.keySet()), Map.copyOf(values));
    }

    private UsageException problem(String problem) {
      return new UsageException(usage, help(), problem);
    }
  }

  private static Duration parseSeconds(String text) {
    String expected = "expected a number of seconds, 0 or more (5, 0.5, 500ms, 30s, 2m), not '" + text + "'";
    String number = text.strip();
    BigDecimal secondsPerUnit = BigDecimal.ONE;
    if (number.endsWith("ms")) {
      number = number.substring(0, number.length() - 2);
      secondsPerUnit = new BigDecimal("0.001");
    } else if (number.endsWith("s")) {
      number = number.substring(0, number.length() - 1);
    } else if (number.endsWith("m")) {
      number = number.substring(0, number.length() - 1);
      secondsPerUnit = BigDecimal.valueOf(60);
    }
    BigDecimal seconds;
    try {
      seconds = new BigDecimal(number.strip()).multiply(secondsPerUnit);
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
   * with, and the caller prints {@link #getMessage()} (if any) and the usage line, and for help
   * the {@link #options()} too.
   */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String usage;
    private final List<String> options;
    private final boolean help;

    UsageException(String usage, List<String> options, @Nullable String problem) {
      super(problem == null ? "help requested" : problem);
      this.usage = usage;
      this.options = List.copyOf(options);
      this.help = problem == null;
    }

    /** Returns the usage line of the example. */
    String usage() {
      return usage;
    }

    /** Returns one line per option, with its help and default: see {@link Spec#help()}. */
    List<String> options() {
      return options;
    }

    /** Returns 0 when help was asked for, 2 for a wrong command line. */
    int status() {
      return help ? 0 : 2;
    }
  }
}
