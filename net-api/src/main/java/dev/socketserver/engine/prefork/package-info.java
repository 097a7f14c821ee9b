/**
 * {@code Concurrency.processes(n)}: the supervisor that starts, watches, restarts and drains
 * worker processes, and the worker side of its link (drain on stdin's end, published counters
 * and heartbeat). Not API.
 */
package dev.socketserver.engine.prefork;
