package dev.socketserver.examples;

import dev.socketserver.api.Framing;
import dev.socketserver.api.Handlers;
import dev.socketserver.api.Server;
import java.io.IOException;
import java.io.PrintStream;

/**
 * A message protocol on TCP port 3132: each message is a 4-byte big-endian length followed by
 * that many bytes, and is echoed back framed the same way. A length over {@code --max} closes the
 * connection as soon as the header arrives (the server logs it once). A client that moves no byte
 * for {@code --idle-timeout} (60 s) is closed; there is no read timeout unless
 * {@code --read-timeout} sets one, because {@code Handlers.nonBlocking} holds no thread for an
 * idle connection only without one. Echoing a frame never waits, so the echo runs on the poller's
 * thread that read it ({@code Handlers.nonBlocking}): no thread is woken per message. And it only
 * sends the frame back, so it borrows it ({@code Handlers.nonBlockingSlices}): no array per
 * message, the frame's bytes copied once, from the read buffer to the write buffer.
 *
 * <pre>
 * BEFORE: | 00 00 00 05 | h e l l o |    AFTER: the same 9 bytes back
 * </pre>
 *
 * Try it: {@code ./run length-echo}, then
 * {@code printf '\0\0\0\5hello' | nc localhost 3132 | xxd}.
 */
final class LengthEcho {
  static final Options.Spec OPTIONS =
      Options.usage("length-echo [--host H] [--port N] [--max BYTES] [--idle-timeout S] [--read-timeout S]")
          .listen(3132)
          .option("max", "1048576", t -> Options.parseInt(t, 0, 1 << 30))
          .describe("the longest message, in bytes; a longer length closes the connection")
          // No read timeout by default: Handlers.nonBlocking keeps no thread for an idle connection only
          // without one, and the idle timeout closes a silent client all the same.
          .timeouts("60s", "0");

  private LengthEcho() {}

  static void main(String[] args) throws Exception {
    Options options = OPTIONS.parse(args);
    Serving.untilSignalled(() -> server(options, System.out));
  }

  /** Builds the server (bound and listening, not yet serving) and says where it listens. */
  static Server server(Options options, PrintStream out) throws IOException {
    Framing framing = Framing.lengthField(4, options.get("max", Integer.class));
    // The whole protocol in one line: read a frame, reply with the same bytes, framed alike. The
    // reply never waits for anything, so it may be computed on the poller's thread; the frame is
    // a borrowed slice of the read buffer, which is fine to return (it is copied out at once) but
    // not to keep: a handler that stores frames uses Handlers.nonBlocking, which gives it arrays.
    Server server = Serving.timeouts(Serving.tcp(options), options)
        .handler(Handlers.nonBlockingSlices(framing, frame -> frame))
        .build();
    Serving.announce("length-echo", server, out, Serving.timeoutsSetting(options));
    return server;
  }
}
