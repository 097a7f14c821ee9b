/**
 * What a server tells: the counters behind {@code ServerMetrics}, named limits, Flight Recorder
 * events, rate-limited logging and the logger factory with its System.Logger fallback. Not API.
 */
package dev.socketserver.engine.telemetry;
