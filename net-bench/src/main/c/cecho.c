// The machine's limit: a minimal echo server. Runs until killed.
//   cecho [-j N] PORT        TCP on 127.0.0.1: epoll, level-triggered, one read and one write per
//                            readiness, TCP_NODELAY
//   cecho [-j N] udp PORT    UDP on 127.0.0.1: a blocking recvfrom/sendto loop
//   cecho unix PATH          the same as TCP over a Unix stream socket (one thread)
//
// -j N (default 1) runs N threads, each a whole server of its own: for TCP its own listening
// socket bound to the same port with SO_REUSEPORT, its own epoll and buffer; for UDP its own
// SO_REUSEPORT socket and loop. The kernel spreads connections (datagrams, by source) over the
// sockets by a hash of the addresses, so nothing is shared between the threads: no common accept
// queue, no lock, no thundering herd. That is what nginx's `reuseport` and the library's planned
// listener-per-poller do, and the best a C server can do, which is what a limit is for. (One
// listener watched by every thread with EPOLLEXCLUSIVE shares one accept queue and wakes the
// threads unevenly; it would measure the accept path, not the limit.) A Unix stream socket has no
// SO_REUSEPORT, so `unix` stays single-threaded.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

_Noreturn static void udp_loop(int s) {
  static __thread char buf[65536];
  for (;;) {
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    int r = recvfrom(s, buf, sizeof buf, 0, (void *)&from, &len);
    if (r >= 0) sendto(s, buf, r, 0, (void *)&from, len);
  }
}

// Serves listening socket L until killed: accepts its connections and echoes them.
_Noreturn static void serve(int l, int unix_socket) {
  static __thread char buf[65536];
  int one = 1;
  int ep = epoll_create1(0);
  struct epoll_event e = {.events = EPOLLIN, .data.fd = l};
  epoll_ctl(ep, EPOLL_CTL_ADD, l, &e);
  struct epoll_event evs[1024];
  for (;;) {
    int k = epoll_wait(ep, evs, 1024, -1);
    for (int i = 0; i < k; i++) {
      int fd = evs[i].data.fd;
      if (fd == l) {
        int c = accept4(l, 0, 0, SOCK_NONBLOCK);
        if (c < 0) continue;
        if (!unix_socket) setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
        continue;
      }
      int r = read(fd, buf, sizeof buf);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        close(fd);
        continue;
      }
      // Echoes are small and the peer reads them: a full send buffer is waited out in place.
      for (int w = 0; w < r;) {
        int x = write(fd, buf + w, r - w);
        if (x < 0) { if (errno == EAGAIN) continue; close(fd); break; }
        w += x;
      }
    }
  }
}

static int is_udp;
static void *thread_main(void *fd) {
  int s = (int)(long)fd;
  if (is_udp) udp_loop(s); else serve(s, 0);
  return 0;
}

// A socket bound to 127.0.0.1:PORT, SO_REUSEPORT if there are several.
static int bound(int type, int port, int jobs) {
  int s = socket(AF_INET, type, 0), one = 1;
  if (type == SOCK_STREAM) setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (jobs > 1) setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(s, (void *)&a, sizeof a) || (type == SOCK_STREAM && listen(s, 4096))) { perror("bind/listen"); exit(1); }
  return s;
}

int main(int argc, char **argv) {
  int jobs = 1;
  if (argc > 2 && !strcmp(argv[1], "-j")) {
    jobs = atoi(argv[2]);
    argv += 2;
    argc -= 2;
  }
  is_udp = argc == 3 && !strcmp(argv[1], "udp");
  int unix_socket = argc == 3 && !strcmp(argv[1], "unix");
  if (jobs < 1 || (argc != 2 && !unix_socket && !is_udp)) {
    fprintf(stderr, "usage: cecho [-j N] PORT | [-j N] udp PORT | unix PATH\n");
    return 2;
  }
  if (unix_socket) {
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un u = {.sun_family = AF_UNIX};
    snprintf(u.sun_path, sizeof u.sun_path, "%s", argv[2]);
    unlink(argv[2]);
    if (bind(l, (void *)&u, sizeof u) || listen(l, 4096)) { perror("bind/listen"); return 1; }
    printf("cecho listening on %s\n", argv[2]);
    fflush(stdout);
    serve(l, 1);
  }
  int port = atoi(argv[argc - 1]);
  // Every socket is bound before the first is served, so a client that got an answer finds the
  // whole server up.
  int *socks = calloc(jobs, sizeof *socks);
  for (int i = 0; i < jobs; i++) socks[i] = bound(is_udp ? SOCK_DGRAM : SOCK_STREAM, port, jobs);
  printf("cecho %s on 127.0.0.1:%d, %d thread%s\n", is_udp ? "udp" : "tcp", port, jobs, jobs > 1 ? "s" : "");
  fflush(stdout);
  for (int i = 1; i < jobs; i++) {
    pthread_t t;
    if (pthread_create(&t, 0, thread_main, (void *)(long)socks[i])) { perror("pthread_create"); return 1; }
  }
  thread_main((void *)(long)socks[0]);
  return 0;
}
