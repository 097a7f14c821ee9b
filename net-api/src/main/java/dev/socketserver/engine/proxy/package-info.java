/**
 * The PROXY protocol (v1 and v2): parsing the header a trusted balancer sends, and the
 * connection layer that reports the client it names. Not API.
 */
package dev.socketserver.engine.proxy;
