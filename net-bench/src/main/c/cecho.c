// The machine's limit: a minimal single-threaded echo server. Runs until killed.
//   cecho PORT        TCP on 127.0.0.1: epoll, level-triggered, one read and one write per
//                     readiness, TCP_NODELAY
//   cecho unix PATH   the same over a Unix stream socket
//   cecho udp PORT    UDP on 127.0.0.1: a blocking recvfrom/sendto loop
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char buf[65536];

static int udp(int port) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(s, (void *)&a, sizeof a)) { perror("bind"); return 1; }
  printf("cecho udp on 127.0.0.1:%d\n", port);
  fflush(stdout);
  for (;;) {
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    int r = recvfrom(s, buf, sizeof buf, 0, (void *)&from, &len);
    if (r >= 0) sendto(s, buf, r, 0, (void *)&from, len);
  }
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "udp")) return udp(atoi(argv[2]));
  int unix_socket = argc == 3 && !strcmp(argv[1], "unix");
  if (argc != 2 && !unix_socket) { fprintf(stderr, "usage: cecho PORT | unix PATH | udp PORT\n"); return 2; }
  int l = socket(unix_socket ? AF_UNIX : AF_INET, SOCK_STREAM, 0), one = 1;
  int bound;
  if (unix_socket) {
    struct sockaddr_un u = {.sun_family = AF_UNIX};
    snprintf(u.sun_path, sizeof u.sun_path, "%s", argv[2]);
    unlink(argv[2]);
    bound = bind(l, (void *)&u, sizeof u);
  } else {
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1])), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bound = bind(l, (void *)&a, sizeof a);
  }
  if (bound || listen(l, 4096)) { perror("bind/listen"); return 1; }
  int ep = epoll_create1(0);
  struct epoll_event e = {.events = EPOLLIN, .data.fd = l};
  epoll_ctl(ep, EPOLL_CTL_ADD, l, &e);
  printf("cecho listening on %s\n", argv[argc - 1]);
  fflush(stdout);
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
