/**
 * {@link dev.socketserver.spi.factory.ServerFactory}: where a transport gets its {@code Server}.
 * A package of its own because it reaches into the engine, which itself builds on {@code
 * dev.socketserver.spi}: kept apart, neither package depends on the other in a cycle.
 */
package dev.socketserver.spi.factory;
