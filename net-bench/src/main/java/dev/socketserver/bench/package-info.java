/**
 * Benchmarks, not a library: {@link dev.socketserver.bench.DecodeBenchmark} and
 * {@link dev.socketserver.bench.EncodeBenchmark} (JMH, framing codecs against Netty's),
 * {@link dev.socketserver.bench.NettyServers} (the Netty echo and HTTP peers of the end-to-end
 * harness, {@code net-bench/run}) and {@link dev.socketserver.bench.Streams} (the inputs the
 * codec benchmarks share).
 */
@NullMarked
package dev.socketserver.bench;

import org.jspecify.annotations.NullMarked;
