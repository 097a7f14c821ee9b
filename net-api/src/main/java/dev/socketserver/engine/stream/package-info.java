/**
 * Stream connections: one readiness {@link dev.socketserver.engine.stream.Poller} per server reads
 * into pooled buffers ({@link dev.socketserver.engine.stream.BufferPool}) and wakes the handler
 * of a blocking-style {@link dev.socketserver.engine.stream.ChannelConnection}; {@link
 * dev.socketserver.engine.stream.StreamAcceptor} accepts from any listening stream channel (TCP,
 * Unix). Not API.
 */
package dev.socketserver.engine.stream;
