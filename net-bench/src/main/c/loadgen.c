// Closed-loop load generator for the net-bench harness; checks every byte it gets back.
//
//   loadgen [-j JOBS] [-p PID] echo|connrate ...   (the options come before the mode)
//       -j JOBS: JOBS forked worker processes, each with its own epoll and CONNS/JOBS connections
//       (PARALLEL/JOBS slots; the remainder spread over the first workers), so that the load
//       generator can use more than one core. They start measuring at the same instant and the
//       line they print is merged: counts and rates summed, percentiles from the summed latency
//       histograms. Default 1: one process, as without the option.
//       -p PID: also samples the CPU time (utime + stime, /proc/PID/stat) of process PID, the
//       server, at the start and at the end of the measured window (after the warm-up) and adds
//       server_cpu_s=S and cpu_us_per_rt=US (echo) or cpu_us_per_conn=US (connrate) to the line:
//       the server's CPU time over exactly the window whose round trips are counted.
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
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
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
#define BUCKETS (FINE + COARSE + 1)

// What one worker measured; with -j the workers' results live in shared memory, slot i for
// worker i, and the parent merges them.
typedef struct {
  long count;          // round trips (echo) or connections (connrate) in the measured window
  long errors, lost;
  double seconds;      // length of the measured window
  long ticks0, ticks1; // worker 0 only: the server's CPU ticks at the window's start and end
  uint64_t hist[BUCKETS];
} result_t;
// The workers' start line: each dials its connections, counts itself ready and waits for go;
// the parent then sets t0, the common instant from which every worker's warm-up runs.
typedef struct {
  int ready, go;
  double t0;
} start_t;
static result_t *res;   // this worker's slot
static start_t *gate;   // NULL without -j: start at once
static int worker;      // this worker's index
static pid_t server_pid;

static uint64_t *hist;
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

// utime + stime of the server in clock ticks (/proc/PID/stat fields 14 and 15), 0 without -p.
static long server_ticks(void) {
  if (!server_pid) return 0;
  char path[64], buf[2048];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)server_pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  int r = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (r <= 0) return 0;
  buf[r] = 0;
  char *p = strrchr(buf, ')');  // the command name may hold spaces; the fields follow it
  long utime = 0, stime = 0;
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime, &stime) != 2) return 0;
  return utime + stime;
}

// Worker 0 marks the measured window's start (AT_END 0) and end (1) with the server's CPU time.
static void mark(int at_end) {
  if (worker != 0) return;
  if (at_end) res->ticks1 = server_ticks();
  else res->ticks0 = server_ticks();
}

// Called once the connections are dialed: returns the instant the warm-up starts from, the same
// for every worker.
static double start_line(void) {
  if (!gate) return now();
  __atomic_add_fetch(&gate->ready, 1, __ATOMIC_SEQ_CST);
  while (!__atomic_load_n(&gate->go, __ATOMIC_ACQUIRE)) usleep(200);
  return gate->t0;
}

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

// FIRST: the index of this worker's first connection among all workers' (distinct patterns).
static void run_echo(int n, int first, double warm, double secs) {
  conn_t *cs = calloc(n ? n : 1, sizeof *cs);
  for (int i = 0; i < n; i++) {
    cs[i].fd = dial(0);
    if (cs[i].fd < 0) { errors++; continue; }
    fcntl(cs[i].fd, F_SETFL, O_NONBLOCK);
    cs[i].seed = (first + i) * 1000u;
    arm(&cs[i], i, EPOLLIN, EPOLL_CTL_ADD);
    if (start(&cs[i], i)) { errors++; close(cs[i].fd); cs[i].fd = -1; }
  }
  long rt = 0, lost = 0;
  double t = start_line(), begin = t + warm, end = begin + secs, scanned = t;
  int counting = warm <= 0;
  if (counting) mark(0);
  struct epoll_event evs[1024];
  while ((t = now()) < end) {
    if (!counting && t >= begin) { counting = 1; rt = 0; lost = 0; memset(hist, 0, BUCKETS * sizeof *hist); mark(0); }
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
  mark(1);
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
  res->count = rt;
  res->errors = errors;
  res->lost = lost;
  res->seconds = el;
}

static void run_connrate(int n, double warm, double secs) {
  conn_t *cs = calloc(n ? n : 1, sizeof *cs);
  long done = 0;
  double t = start_line(), begin = t + warm, end = begin + secs;
  int counting = warm <= 0;
  if (counting) mark(0);
  for (int i = 0; i < n; i++) cs[i].fd = -1;
  struct epoll_event evs[1024];
  while ((t = now()) < end) {
    if (!counting && t >= begin) { counting = 1; done = 0; memset(hist, 0, BUCKETS * sizeof *hist); mark(0); }
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
  mark(1);
  double el = now() - begin;
  for (int i = 0; i < n; i++) if (cs[i].fd >= 0) close(cs[i].fd);
  res->count = done;
  res->errors = errors;
  res->seconds = el;
}

// Runs MODE (echo or connrate) over N connections in JOBS workers and prints the merged line.
static int run_load(const char *mode, int jobs, int n, double warm, double secs) {
  int echo = !strcmp(mode, "echo");
  if (!echo && strcmp(mode, "connrate")) { fprintf(stderr, "unknown mode %s\n", mode); return 2; }
  if (jobs > n) jobs = n > 0 ? n : 1;
  size_t bytes = jobs * sizeof(result_t);
  double summed_rate = -1;
  result_t *all = jobs == 1 ? calloc(1, sizeof *all)
                            : mmap(0, bytes + sizeof(start_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (!all || all == MAP_FAILED) { perror("mmap"); return 1; }
  if (jobs == 1) {
    res = all;
    hist = res->hist;
    ep = epoll_create1(0);
    if (echo) run_echo(n, 0, warm, secs); else run_connrate(n, warm, secs);
  } else {
    gate = (start_t *)((char *)all + bytes);
    pid_t *kids = calloc(jobs, sizeof *kids);
    for (int w = 0, first = 0; w < jobs; w++) {
      int share = n / jobs + (w < n % jobs);
      kids[w] = fork();
      if (kids[w] < 0) { perror("fork"); return 1; }
      if (kids[w] == 0) {  // a worker: its own epoll, its own connections, its own slot
        worker = w;
        res = &all[w];
        hist = res->hist;
        ep = epoll_create1(0);
        if (echo) run_echo(share, first, warm, secs); else run_connrate(share, warm, secs);
        fflush(stdout);
        _exit(0);
      }
      first += share;
    }
    int exited = 0, failed = 0, status;
    while (__atomic_load_n(&gate->ready, __ATOMIC_SEQ_CST) < jobs) {
      pid_t k = waitpid(-1, &status, WNOHANG);  // a worker that died before the start line
      if (k > 0) { exited++; failed = 1; break; }
      usleep(500);
    }
    gate->t0 = now();
    __atomic_store_n(&gate->go, 1, __ATOMIC_RELEASE);
    for (; exited < jobs; exited++) {
      if (wait(&status) < 0) break;
      if (!WIFEXITED(status) || WEXITSTATUS(status)) failed = 1;
    }
    if (failed) { fprintf(stderr, "loadgen: a worker failed\n"); return 1; }
    // Merge into slot 0 (which holds worker 0's server ticks): the rate is the sum of the
    // workers' rates, the window their mean (they differ by microseconds).
    res = &all[0];
    hist = res->hist;
    double rate = 0, seconds = 0;
    for (int w = 0; w < jobs; w++) {
      rate += all[w].seconds > 0 ? all[w].count / all[w].seconds : 0;
      seconds += all[w].seconds / jobs;
      if (w == 0) continue;
      res->count += all[w].count;
      res->errors += all[w].errors;
      res->lost += all[w].lost;
      for (int i = 0; i < BUCKETS; i++) hist[i] += all[w].hist[i];
    }
    res->seconds = seconds;
    summed_rate = rate;
  }
  long c = res->count;
  double el = res->seconds, rate = summed_rate >= 0 ? summed_rate : c / el;
  if (echo)
    printf("rt_per_s=%.0f p50_us=%.1f p99_us=%.1f errors=%ld lost=%ld conns=%d size=%d round_trips=%ld seconds=%.2f",
           rate, c ? percentile(0.50, c) : -1, c ? percentile(0.99, c) : -1, res->errors, res->lost, n, size, c, el);
  else
    printf("conns_per_s=%.0f p50_us=%.1f p99_us=%.1f errors=%ld parallel=%d size=%d connections=%ld seconds=%.2f",
           rate, c ? percentile(0.50, c) : -1, c ? percentile(0.99, c) : -1, res->errors, n, size, c, el);
  if (server_pid) {
    double cpu = (double)(res->ticks1 - res->ticks0) / sysconf(_SC_CLK_TCK);
    printf(" server_cpu_s=%.2f %s=%.3f", cpu, echo ? "cpu_us_per_rt" : "cpu_us_per_conn", c ? cpu * 1e6 / c : -1);
  }
  printf("\n");
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
  int jobs = 1;
  while (argc > 2 && argv[1][0] == '-') {  // options before the mode
    if (!strcmp(argv[1], "-j")) jobs = atoi(argv[2]);
    else if (!strcmp(argv[1], "-p")) server_pid = atoi(argv[2]);
    else { fprintf(stderr, "unknown option %s\n", argv[1]); return 2; }
    argv += 2;
    argc -= 2;
  }
  if (jobs < 1) { fprintf(stderr, "-j needs a count of at least 1\n"); return 2; }
  if (argc == 4 && !strcmp(argv[1], "probe")) argc = 5;  // probe takes no count
  if (argc < 5) {
    fprintf(stderr, "usage: loadgen [-j JOBS] [-p PID] echo|connrate HOST PORT CONNS SIZE WARMUP_S SECONDS"
                    " | idle HOST PORT CONNS | probe HOST PORT\n");
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
  rbuf = malloc(1 << 20);
  pattern = malloc((1 << 20) + WINDOWS);
  srandom(42);
  for (int i = 0; i < (1 << 20) + WINDOWS; i++) pattern[i] = (unsigned char)random();
  if (!strcmp(argv[1], "idle")) return run_idle(n);
  if (argc < 8) { fprintf(stderr, "%s needs CONNS SIZE WARMUP_S SECONDS\n", argv[1]); return 2; }
  size = atoi(argv[5]);
  if (size < 1 || size > (1 << 20)) { fprintf(stderr, "size must be 1..1048576\n"); return 2; }
  double warm = atof(argv[6]), secs = atof(argv[7]);
  return run_load(argv[1], jobs, n, warm, secs);
}
