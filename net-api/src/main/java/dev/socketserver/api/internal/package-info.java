/**
 * The server core shared by the transports: lifecycle and accept loop ({@link
 * dev.socketserver.api.internal.ServerCore}), where requests run ({@link
 * dev.socketserver.api.internal.Dispatcher}), and the stream connection core: one readiness
 * poller per server that reads on readiness into pooled buffers ({@link
 * dev.socketserver.api.internal.Poller}, {@link dev.socketserver.api.internal.BufferPool}) and
 * blocking-style {@link dev.socketserver.api.internal.ChannelConnection}s served from what it
 * read. Exported to the transport modules only; not API.
 */
package dev.socketserver.api.internal;
