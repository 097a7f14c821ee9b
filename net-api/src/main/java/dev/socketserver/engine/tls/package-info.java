/**
 * TLS as a layer over a stream connection (an {@code SSLEngine} over its streams). Not API.
 */
package dev.socketserver.engine.tls;
