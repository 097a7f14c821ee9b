// Closed-loop load generator for the net-bench harness; checks every byte it gets back.
//
//   loadgen echo     HOST PORT CONNS SIZE WARMUP_S SECONDS
//       CONNS connections, each with one SIZE-byte message in flight; each echo is compared
//       byte for byte with what was sent (a per-message pattern, so lost, duplicated, shifted or
//       reordered bytes all show). Prints one line of key=value results.
//   loadgen connrate HOST PORT PARALLEL SIZE WARMUP_S SECONDS
//       PARALLEL slots, each repeating: connect, send SIZE bytes, read the echo, close.
//   loadgen probe    HOST PORT
//       Exits 0 if the server answers: a stream connects, a UDP server echoes one datagram.
//   loadgen idle     HOST PORT CONNS
//       Opens CONNS connections, exchanges one 16-byte message on each (so the server has
//       really taken it), prints "ready CONNS", then holds them until stdin ends.
//
// HOST is an IPv4 address for TCP, "udp:ADDRESS" for UDP (each "connection" is a connected UDP
// socket; a datagram not answered within 1 s is counted as lost and the next one is sent) or
// "unix:PATH" for a Unix stream socket (PORT is then ignored).
//
// Errors (refused or reset connections, short or wrong echoes) are counted, not fatal: the
// line says errors=N. Exit status 0 unless the setup itself failed.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

// Latency histogram: 1 us buckets up to 10 ms, then 100 us buckets up to 10 s.
#define FINE 10000
#define COARSE 100000
static uint64_t hist[FINE + COARSE + 1];
static void record(double seconds) {
  long us = (long)(seconds * 1e6);
  long i = us < FINE ? us : FINE + (us - FINE) / 100;
  if (i > FINE + COARSE) i = FINE + COARSE;
  hist[i]++;
}
static double percentile(double p, uint64_t total) {
  uint64_t want = (uint64_t)(p * total), seen = 0;
  if (want >= total) want = total - 1;
  for (long i = 0; i <= FINE + COARSE; i++) {
    seen += hist[i];
    if (seen > want) return i < FINE ? i + 0.5 : FINE + (i - FINE) * 100.0 + 50;
  }
  return -1;
}

enum { TCP, UDP, UNIX } kind = TCP;
static struct sockaddr_in addr;
static struct sockaddr_un uaddr;
// Message contents: a window of a random table chosen by the message's seed, so consecutive
// messages differ and a shifted or stale byte does not match; nothing is filled per message.
static unsigned char *pattern;
#define WINDOWS 4093
static unsigned char *message(unsigned seed) { return pattern + (seed % WINDOWS); }

typedef struct {
  int fd;
  int sent, got;      // bytes of the current message written / read back
  unsigned seed;      // pattern of the current message
  double t0;          // when it was sent
  int state;          // connrate: 0 connecting, 1 exchanging
} conn_t;

static int ep;
static unsigned char *rbuf;
static int size;
static long errors;

static int dial(int nonblock) {
  int family = kind == UNIX ? AF_UNIX : AF_INET, type = kind == UDP ? SOCK_DGRAM : SOCK_STREAM;
  int fd = socket(family, type | (nonblock ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) { perror("socket"); exit(1); }
  int one = 1;
  if (kind == TCP) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int r = kind == UNIX ? connect(fd, (struct sockaddr *)&uaddr, sizeof uaddr)
                       : connect(fd, (struct sockaddr *)&addr, sizeof addr);
  if (r && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

// Writes what is left of c's message; 0 when all is out, 1 if the socket is full, -1 on error.
static int push(conn_t *c) {
  unsigned char *msg = message(c->seed);
  while (c->sent < size) {
    int w = write(c->fd, msg + c->sent, size - c->sent);
    if (w < 0) return errno == EAGAIN ? 1 : -1;
    c->sent += w;
  }
  return 0;
}

static void arm(conn_t *c, uint32_t id, uint32_t events, int op) {
  struct epoll_event e = {.events = events, .data.u32 = id};
  if (epoll_ctl(ep, op, c->fd, &e)) { perror("epoll_ctl"); exit(1); }
}

// Starts the next message on c.
static int start(conn_t *c, uint32_t id) {
  c->seed++;
  c->sent = c->got = 0;
  c->t0 = now();
  int r = push(c);
  if (r < 0) return -1;
  arm(c, id, EPOLLIN | (r ? EPOLLOUT : 0), EPOLL_CTL_MOD);
  return 0;
}

// Reads what c has; returns 1 when the echo is complete and right, 0 for more, -1 on error.
static int pull(conn_t *c) {
  int r = read(c->fd, rbuf, size - c->got);
  if (r < 0) return errno == EAGAIN ? 0 : -1;
  if (r == 0 && kind != UDP) return -1;
  if (kind == UDP && (r != size || memcmp(rbuf, message(c->seed), r))) {
    // A late answer to a datagram given up as lost is dropped; anything else is an error, but the
    // socket stays usable.
    if (!(r == size && !memcmp(rbuf, message(c->seed - 1), r))) errors++;
    return 0;
  }
  if (memcmp(rbuf, message(c->seed) + c->got, r)) return -1;
  c->got += r;
  return c->got == size;
}

static int run_echo(int n, double warm, double secs) {
  conn_t *cs = calloc(n, sizeof *cs);
  for (int i = 0; i < n; i++) {
    cs[i].fd = dial(0);
    if (cs[i].fd < 0) { errors++; continue; }
    fcntl(cs[i].fd, F_SETFL, O_NONBLOCK);
    cs[i].seed = i * 1000u;
    arm(&cs[i], i, EPOLLIN, EPOLL_CTL_ADD);
    if (start(&cs[i], i)) { errors++; close(cs[i].fd); cs[i].fd = -1; }
  }
  long rt = 0, lost = 0;
  double t = now(), begin = t + warm, end = begin + secs, scanned = t;
  int counting = warm <= 0;
  struct epoll_event evs[1024];
  while ((t = now()) < end) {
    if (!counting && t >= begin) { counting = 1; rt = 0; lost = 0; memset(hist, 0, sizeof hist); }
    if (kind == UDP && t - scanned > 0.05) {  // datagrams may be dropped: give up on one after 1 s
      scanned = t;
      for (int i = 0; i < n; i++)
        if (cs[i].fd >= 0 && t - cs[i].t0 > 1.0) { lost++; if (start(&cs[i], i)) { errors++; close(cs[i].fd); cs[i].fd = -1; } }
    }
    int k = epoll_wait(ep, evs, 1024, kind == UDP ? 20 : 100);
    for (int j = 0; j < k; j++) {
      uint32_t id = evs[j].data.u32;
      conn_t *c = &cs[id];
      if (c->fd < 0) continue;
      int r = 0;
      if (evs[j].events & EPOLLOUT) {
        r = push(c);
        if (r == 0) arm(c, id, EPOLLIN, EPOLL_CTL_MOD);
      }
      if (r >= 0 && (evs[j].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) r = pull(c);
      if (r == 1) {
        if (counting) { rt++; record(now() - c->t0); }
        r = start(c, id);
      }
      if (r < 0) { errors++; close(c->fd); c->fd = -1; }
    }
  }
  double el = now() - begin;
  // End politely: let each echo in flight come back (1 s at most), then close, so that servers
  // see an end of stream and not a reset.
  int open = 0;
  for (int i = 0; i < n; i++) open += cs[i].fd >= 0;
  double stop = now() + 1;
  while (open > 0 && kind != UDP && now() < stop) {
    int k = epoll_wait(ep, evs, 1024, 50);
    for (int j = 0; j < k; j++) {
      conn_t *c = &cs[evs[j].data.u32];
      if (c->fd < 0) continue;
      int r = 0;
      if (evs[j].events & EPOLLOUT) {
        r = push(c);
        if (r == 0) arm(c, evs[j].data.u32, EPOLLIN, EPOLL_CTL_MOD);
      }
      if (r >= 0 && (evs[j].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) r = pull(c);
      if (r != 0) { close(c->fd); c->fd = -1; open--; }
    }
  }
  for (int i = 0; i < n; i++) if (cs[i].fd >= 0) close(cs[i].fd);
  printf("rt_per_s=%.0f p50_us=%.1f p99_us=%.1f errors=%ld lost=%ld conns=%d size=%d round_trips=%ld seconds=%.2f\n",
         rt / el, rt ? percentile(0.50, rt) : -1, rt ? percentile(0.99, rt) : -1, errors, lost, n, size, rt, el);
  return 0;
}

static int run_connrate(int n, double warm, double secs) {
  conn_t *cs = calloc(n, sizeof *cs);
  long done = 0;
  double t = now(), begin = t + warm, end = begin + secs;
  int counting = warm <= 0;
  for (int i = 0; i < n; i++) cs[i].fd = -1;
  struct epoll_event evs[1024];
  while ((t = now()) < end) {
    if (!counting && t >= begin) { counting = 1; done = 0; memset(hist, 0, sizeof hist); }
    for (int i = 0; i < n; i++) {  // (re)open idle slots
      conn_t *c = &cs[i];
      if (c->fd >= 0) continue;
      c->fd = dial(1);
      if (c->fd < 0) { errors++; continue; }
      c->t0 = now();
      c->state = 0;
      c->seed = (unsigned)(c->t0 * 1e6) + i;
      c->sent = c->got = 0;
      arm(c, i, EPOLLOUT, EPOLL_CTL_ADD);
    }
    int k = epoll_wait(ep, evs, 1024, 100);
    for (int j = 0; j < k; j++) {
      uint32_t id = evs[j].data.u32;
      conn_t *c = &cs[id];
      int r = 0;
      if (c->state == 0) {  // connected (or failed): send the message
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) r = -1;
        else {
          c->state = 1;
          r = push(c);
          if (r >= 0) arm(c, id, EPOLLIN | (r ? EPOLLOUT : 0), EPOLL_CTL_MOD), r = 0;
        }
      } else {
        if (evs[j].events & EPOLLOUT) {
          r = push(c);
          if (r == 0) arm(c, id, EPOLLIN, EPOLL_CTL_MOD);
        }
        if (r >= 0 && (evs[j].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) r = pull(c);
      }
      if (r == 1) {
        if (counting) { done++; record(now() - c->t0); }
        close(c->fd);
        c->fd = -1;
      } else if (r < 0) {
        errors++;
        close(c->fd);
        c->fd = -1;
      }
    }
  }
  double el = now() - begin;
  printf("conns_per_s=%.0f p50_us=%.1f p99_us=%.1f errors=%ld parallel=%d size=%d connections=%ld seconds=%.2f\n",
         done / el, done ? percentile(0.50, done) : -1, done ? percentile(0.99, done) : -1, errors, n, size, done, el);
  return 0;
}

static int run_idle(int n) {
  size = 16;
  int *fds = malloc(n * sizeof *fds);
  struct timeval tv = {.tv_sec = 10};
  for (int i = 0; i < n; i++) {
    fds[i] = dial(0);
    if (fds[i] < 0) { errors++; continue; }
    setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    unsigned char *msg = message(i);
    int got = 0;
    if (write(fds[i], msg, 16) == 16) {
      while (got < 16) {
        int r = read(fds[i], rbuf + got, 16 - got);
        if (r <= 0) break;
        got += r;
      }
    }
    if (got != 16 || memcmp(rbuf, msg, 16)) errors++;
  }
  printf("ready %d errors=%ld\n", n, errors);
  fflush(stdout);
  char b[64];
  while (read(0, b, sizeof b) > 0) {}
  for (int i = 0; i < n; i++) if (fds[i] >= 0) close(fds[i]);
  return 0;
}

static int run_probe(void) {
  int fd = dial(0);
  if (fd < 0) return 1;
  if (kind != UDP) return 0;
  struct timeval tv = {.tv_usec = 100000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char b = 'p';
  return write(fd, &b, 1) == 1 && read(fd, &b, 1) == 1 ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc == 4 && !strcmp(argv[1], "probe")) argc = 5;  // probe takes no count
  if (argc < 5) {
    fprintf(stderr, "usage: loadgen echo|connrate HOST PORT CONNS SIZE WARMUP_S SECONDS | idle HOST PORT CONNS\n");
    return 2;
  }
  const char *host = argv[2];
  if (!strncmp(host, "unix:", 5)) {
    kind = UNIX;
    uaddr.sun_family = AF_UNIX;
    snprintf(uaddr.sun_path, sizeof uaddr.sun_path, "%s", host + 5);
  } else {
    if (!strncmp(host, "udp:", 4)) { kind = UDP; host += 4; }
    addr.sin_family = AF_INET;
    addr.sin_port = htons(atoi(argv[3]));
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) { fprintf(stderr, "bad host %s\n", argv[2]); return 2; }
  }
  if (!strcmp(argv[1], "probe")) return run_probe();
  int n = atoi(argv[4]);
  ep = epoll_create1(0);
  rbuf = malloc(1 << 20);
  pattern = malloc((1 << 20) + WINDOWS);
  srandom(42);
  for (int i = 0; i < (1 << 20) + WINDOWS; i++) pattern[i] = (unsigned char)random();
  if (!strcmp(argv[1], "idle")) return run_idle(n);
  if (argc < 8) { fprintf(stderr, "%s needs CONNS SIZE WARMUP_S SECONDS\n", argv[1]); return 2; }
  size = atoi(argv[5]);
  if (size < 1 || size > (1 << 20)) { fprintf(stderr, "size must be 1..1048576\n"); return 2; }
  double warm = atof(argv[6]), secs = atof(argv[7]);
  if (!strcmp(argv[1], "echo")) return run_echo(n, warm, secs);
  if (!strcmp(argv[1], "connrate")) return run_connrate(n, warm, secs);
  fprintf(stderr, "unknown mode %s\n", argv[1]);
  return 2;
}
