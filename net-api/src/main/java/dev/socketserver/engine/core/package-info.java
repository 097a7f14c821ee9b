/**
 * The server core: {@link dev.socketserver.engine.core.ServerCore}, the {@code Server} every
 * transport returns (state machine, serving loop, limit, drain), and the {@link
 * dev.socketserver.engine.core.Dispatcher} that runs each request where the {@code Concurrency}
 * policy says. Not API.
 */
package dev.socketserver.engine.core;
