"""Python's own servers, as the net-bench harness runs them.

    python3 peers.py echo PORT             socketserver.ThreadingTCPServer echo
    python3 peers.py udp PORT              socketserver.ThreadingUDPServer echo (a thread per datagram)
    python3 peers.py unix PATH             socketserver.ThreadingUnixStreamServer echo
    python3 peers.py http PORT [nodelay]   http.server.ThreadingHTTPServer hello, HTTP/1.1 keep-alive

Written as the standard library's documentation writes them: a thread per connection
(daemon threads), recv/sendall for the echo, BaseHTTPRequestHandler for HTTP. Two settings
differ from the defaults, both so that the number measured is the server's speed and not a
configuration accident: request_queue_size is 1024 instead of 5 (the harness opens up to
10 000 connections at once), and `nodelay` turns Nagle off for HTTP (http.server writes the
headers and the body in two sends, which Nagle plus delayed ACK stalls for ~40 ms each).
Runs until killed.
"""
import http.server
import os
import socket
import socketserver
import sys

HELLO = b"Hello, World!"


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            data = sock.recv(65536)
            if not data:
                break
            sock.sendall(data)


class UnixEchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        while True:
            data = sock.recv(65536)
            if not data:
                break
            sock.sendall(data)


class UdpEchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(data, self.client_address)


class UdpServer(socketserver.ThreadingUDPServer):
    allow_reuse_address = True
    daemon_threads = True
    max_packet_size = 65536


class UnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    request_queue_size = 1024


class EchoServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 1024


class HelloHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(HELLO)))
        self.end_headers()
        self.wfile.write(HELLO)

    def log_message(self, format, *args):
        pass


class NoDelayHelloHandler(HelloHandler):
    disable_nagle_algorithm = True


class HttpServer(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    request_queue_size = 1024


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("echo", "http", "udp", "unix"):
        sys.exit("usage: peers.py echo|http|udp PORT [nodelay] | unix PATH")
    if sys.argv[1] == "unix":
        if os.path.exists(sys.argv[2]):
            os.unlink(sys.argv[2])
        server = UnixServer(sys.argv[2], UnixEchoHandler)
        print("python unix listening on", sys.argv[2], flush=True)
        server.serve_forever()
        return
    port = int(sys.argv[2])
    if sys.argv[1] == "echo":
        server = EchoServer(("127.0.0.1", port), EchoHandler)
    elif sys.argv[1] == "udp":
        server = UdpServer(("127.0.0.1", port), UdpEchoHandler)
    else:
        handler = NoDelayHelloHandler if sys.argv[3:] == ["nodelay"] else HelloHandler
        server = HttpServer(("127.0.0.1", port), handler)
    print("python", sys.argv[1], "listening on", server.server_address, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
