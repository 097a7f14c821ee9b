/**
 * Endpoints: binding IP sockets (port checks, reuse options, clear bind errors) and listeners
 * inherited from a parent process or adopted from systemd. Not API.
 */
package dev.socketserver.engine.endpoint;
