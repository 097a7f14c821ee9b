"""Writes BENCHMARKS.md and the throughput chart (SVG) from what net-bench/run measured.

    report.py --results results.tsv --jmh jmh.json [--jmh more.json] --command CMD --quick 0|1
              --java JAVA --load-before L --load-after L --markdown OUT.md --svg OUT.svg

results.tsv: one line per measurement: section, server, scenario, "key=value ..." (the load
generator's line). Repeated measurements of the same server and scenario are reduced to their
median; ratios are taken between medians of the same run.
"""
import argparse
import collections
import datetime
import json
import os
import platform
import re
import statistics
import subprocess

NAMES = {
    "c-epoll": "C epoll (limit)",
    "netty-epoll": "Netty 4.2 epoll",
    "netty-nio": "Netty 4.2 NIO",
    "ours-virtual": "socketserver, virtual threads",
    "ours-platform": "socketserver, platform threads",
    "ours-framed": "socketserver, Handlers.framed (virtual threads)",
    "ours-nonblocking": "socketserver, Handlers.nonBlocking (on the pollers)",
    "python": "Python socketserver / http.server",
    "python-nodelay": "Python http.server, TCP_NODELAY",
}
COLORS = {
    "c-epoll": "#444444", "netty-epoll": "#d62728", "netty-nio": "#ff9896",
    "ours-virtual": "#1f77b4", "ours-platform": "#9ecae1", "python": "#2ca02c",
}


def parse_kv(text):
    out = {}
    for part in text.split():
        if "=" in part:
            k, v = part.split("=", 1)
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return out


def load_results(path):
    groups = collections.OrderedDict()
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4:
                continue
            section, server, scenario, kv = parts
            groups.setdefault((section, server, scenario), []).append(parse_kv(kv))
    return groups


def med(runs, key):
    vals = [r[key] for r in runs if isinstance(r.get(key), float)]
    return statistics.median(vals) if vals else None


def total(runs, key):
    return sum(r.get(key, 0) for r in runs if isinstance(r.get(key), float))


def fmt(v, digits=0):
    if v is None:
        return "—"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def ratio(a, b):
    if a is None or not b:
        return "—"
    return f"{a / b:.2f}×"


def run(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout + \
            subprocess.run(cmd, capture_output=True, text=True, timeout=20).stderr
    except Exception:  # noqa: BLE001 - any failure just means "unknown"
        return ""


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Linux {platform.release()}"


def first_line(text, pattern):
    for line in text.splitlines():
        if re.search(pattern, line):
            return line.strip()
    return "unknown"


# ---- chart ------------------------------------------------------------------------------------

def svg_chart(groups, path):
    conns = [1, 100, 1000]
    panels = [64, 4096]
    servers = [s for s in COLORS if any(k[0] == "echo" and k[1] == s for k in groups)]
    w, h, pad_l, pad_b, pad_t, gap = 460, 330, 70, 45, 40, 30
    width = pad_l + len(panels) * (w + gap) + 250
    height = h + pad_t + pad_b
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    for pi, size in enumerate(panels):
        x0 = pad_l + pi * (w + gap)
        vals = {s: [med(groups.get(("echo", s, f"conns={c} size={size}"), []), "rt_per_s") for c in conns]
                for s in servers}
        top = max([v for vs in vals.values() for v in vs if v] or [1]) * 1.1
        out.append(f'<text x="{x0 + w / 2}" y="22" text-anchor="middle" font-size="14">'
                   f'TCP echo, {size} B messages: round trips/s</text>')
        out.append(f'<rect x="{x0}" y="{pad_t}" width="{w}" height="{h}" fill="none" stroke="#999"/>')
        for i in range(6):
            v = top * i / 5
            y = pad_t + h - h * i / 5
            out.append(f'<line x1="{x0}" y1="{y}" x2="{x0 + w}" y2="{y}" stroke="#eee"/>')
            out.append(f'<text x="{x0 - 6}" y="{y + 4}" text-anchor="end">{v / 1000:.0f}k</text>')
        xs = [x0 + w * (i + 0.5) / len(conns) for i in range(len(conns))]
        for x, c in zip(xs, conns):
            out.append(f'<text x="{x}" y="{pad_t + h + 18}" text-anchor="middle">{c} conn{"s" if c > 1 else ""}</text>')
        for s in servers:
            pts = [(x, pad_t + h - h * v / top) for x, v in zip(xs, vals[s]) if v]
            if len(pts) > 1:
                out.append('<polyline fill="none" stroke-width="2.5" stroke="{}" points="{}"/>'.format(
                    COLORS[s], " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)))
            for x, y in pts:
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{COLORS[s]}"/>')
    lx = pad_l + len(panels) * (w + gap)
    for i, s in enumerate(servers):
        y = pad_t + 20 + i * 22
        out.append(f'<rect x="{lx}" y="{y - 9}" width="14" height="10" fill="{COLORS[s]}"/>')
        out.append(f'<text x="{lx + 20}" y="{y}">{NAMES[s]}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


# ---- JFR allocation summary -------------------------------------------------------------------

def alloc_summary(path, round_trips):
    """Bytes allocated per round trip, exactly (the threads' allocation counters at the start and
    the end of the recording, JFR's own threads left out), and the largest allocation sites
    (ObjectAllocationSample weights, scaled to that total)."""
    try:
        with open(path) as f:
            events = json.load(f)["recording"]["events"]
    except (OSError, ValueError, KeyError):
        return None, []
    counters = collections.defaultdict(list)
    by_site = collections.Counter()
    sampled = 0
    for e in events:
        v = e["values"]
        if e["type"] == "jdk.ThreadAllocationStatistics":
            t = v.get("thread") or {}
            name = t.get("osName") or t.get("javaName") or "?"
            if not name.startswith("JFR"):
                counters[(name, t.get("osThreadId"))].append(v.get("allocated", 0))
            continue
        weight = v.get("weight", 0)
        sampled += weight
        cls = (v.get("objectClass") or {}).get("name", "?")
        frames = ((v.get("stackTrace") or {}).get("frames")) or []
        names = []
        for fr in frames[:12]:
            m = fr.get("method", {})
            names.append(f'{m.get("type", {}).get("name", "?").split("/")[-1]}.{m.get("name", "?")}')
        site = " ← ".join(names[:3]) if names else "?"
        by_site[(cls, site)] += weight
    exact = sum(max(v) - min(v) for v in counters.values() if len(v) > 1)
    if not round_trips:
        return None, []
    total_bytes = exact if exact else sampled
    scale = total_bytes / sampled if sampled else 0
    top = [(cls, site, w * scale / round_trips) for (cls, site), w in by_site.most_common(6)]
    return total_bytes / round_trips, top


# ---- scaling ----------------------------------------------------------------------------------

def scale_table(w, groups, section):
    """The scale or shared section: one row per server cores × scenario × server."""
    layout = next((sc for (sec, server, sc) in groups if sec == "layout" and server == section), "")
    lay = dict(part.split("=", 1) for part in layout.split() if "=" in part)  # CPU lists stay text
    jobs = next((runs[0].get("load_jobs") for (sec, server, _), runs in groups.items()
                 if sec == "layout" and server == section), None)
    jobs = f"`loadgen -j {jobs:.0f}`" if isinstance(jobs, float) else "`loadgen -j`"
    if section == "scale":
        w(f"## Scaling with server cores (servers on CPUs {lay.get('server_cpus', '?')}, "
          f"load generator on CPUs {lay.get('load_cpus', '?')})")
        w("")
        w(f"TCP echo with the server given its first k CPUs of `SERVER_CPUS={lay.get('server_cpus', '?')}` "
          f"(`taskset`) and the load generator the CPUs `LOAD_CPUS={lay.get('load_cpus', '?')}` ({jobs}, one "
          "worker process per CPU, each with its own epoll). The C limit runs k threads (`cecho -j k`, a "
          "`SO_REUSEPORT` listener, epoll loop and buffer each), Netty epoll k event loops, ours the echo example "
          "with its defaults (it sizes its pollers from the cores it may run on). Alternating rounds, the others "
          "stopped (`SIGSTOP`) while one is measured; medians. Where the load generator has fewer cores than the "
          "server, round trips/s show the load generator's limit and only the CPU per round trip compares the "
          "servers.")
    else:
        w(f"## Shared layout: server and load generator both on all the cores (CPUs {lay.get('server_cpus', '?')})")
        w("")
        w(f"TCP echo with nothing pinned apart: the server and the load generator ({jobs}) share every core, as "
          "on a small machine serving local clients. The C limit runs `cecho -j` one thread per core, Netty epoll "
          "one event loop per core, ours the echo example with its defaults (a blocking handler, a virtual "
          "thread per connection) and, as Netty runs its handler, a fixed-length echo through "
          "`Handlers.nonBlocking` (replies computed on the poller's thread). Both sides compete for the same "
          "cores, so a server that needs less CPU per round trip leaves more to the load and shows more round "
          "trips/s. Alternating rounds, the others stopped (`SIGSTOP`) while one is measured; medians.")
    w("")
    w("| server cores | connections × size | server | round trips/s | p99 µs | errors | × Netty epoll | "
      "server CPU µs/rt | CPU × Netty epoll | CPU × C limit |")
    w("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    scenarios = []
    for (sec, _, sc) in groups:
        if sec == section and sc not in scenarios:
            scenarios.append(sc)
    for sc in scenarios:
        kv = parse_kv(sc)
        rows = [(server, runs) for (sec, server, sc2), runs in groups.items() if sec == section and sc2 == sc]
        netty = med(groups.get((section, "netty-epoll", sc), []), "rt_per_s")
        netty_cpu = med(groups.get((section, "netty-epoll", sc), []), "cpu_us_per_rt")
        limit_cpu = med(groups.get((section, "c-epoll", sc), []), "cpu_us_per_rt")
        for server, runs in rows:
            v = med(runs, "rt_per_s")
            cpu = med(runs, "cpu_us_per_rt")
            name = f"**{NAMES[server]}**" if server.startswith("ours") else NAMES[server]
            w(f"| {kv.get('cores', 0):.0f} | {kv.get('conns', 0):.0f} × {kv.get('size', 0):.0f} B | {name} | "
              f"{fmt(v)} | {fmt(med(runs, 'p99_us'), 1)} | {total(runs, 'errors'):.0f} | {ratio(v, netty)} | "
              f"{fmt(cpu, 2)} | {ratio(cpu, netty_cpu)} | {ratio(cpu, limit_cpu)} |")
    w("")


# ---- report -----------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", action="append", required=True,
                    help="a results.tsv; several are read in order (a section run apart, e.g. share)")
    ap.add_argument("--jmh", action="append", default=[])
    ap.add_argument("--command", required=True)
    ap.add_argument("--quick", default="0")
    ap.add_argument("--java", default="java")
    ap.add_argument("--load-before", default="?")
    ap.add_argument("--load-after", default="?")
    ap.add_argument("--markdown", required=True)
    ap.add_argument("--svg", required=True)
    a = ap.parse_args()

    groups = collections.OrderedDict()
    for path in a.results:
        for key, runs in load_results(path).items():
            groups.setdefault(key, []).extend(runs)
    quick = a.quick == "1"
    md = []
    w = md.append
    w("# Benchmarks")
    w("")
    if quick:
        w("> **QUICK mode** (`QUICK=1`): sub-second runs, one round, a smaller idle test. These numbers check")
        w("> that the harness works; they are not measurements. Run `net-bench/run` on an idle machine")
        w("> for numbers worth quoting.")
        w("")
    java_version = first_line(run([a.java, "-version"]), r"version|Runtime")
    w(f"- Date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}")
    w(f"- Machine: {machine()}; load average before {a.load_before}, after {a.load_after} "
      "(\"before\" well above 0 means other work shared the cores and the numbers are noise; \"after\" is high "
      "by design: the thread-per-connection peers hold 1 000 runnable threads while they serve 1 000 connections)")
    w(f"- JDK: {java_version}; Netty 4.2.18.Final; {first_line(run(['python3', '--version']), 'Python')}; "
      f"{first_line(run(['gcc', '--version']), 'gcc')}; {first_line(run(['wrk', '-v']), 'wrk')}")
    w(f"- Command: `{a.command}` (from the repository root)")
    w("- Pinning: every server on core 0, every load generator on core 1 (`taskset`), but in the scaling "
      "tables (their headings give the layout); while one server is "
      "measured, the other servers of its section are stopped (`SIGSTOP`), so nothing else runs on its cores; "
      "servers with default JVM flags (Netty with its leak detector off).")
    w("- Load generator: `net-bench/src/main/c/loadgen.c` (epoll, closed loop, one message in flight per "
      "connection, every echoed byte checked; `-j N` splits the connections over N worker processes, each "
      "with its own epoll, for the layouts that give the load more than one core). HTTP: `wrk -t1 -c100`.")
    w("- **Server CPU µs per round trip** (the echo tables): the server process's CPU time, user + system, "
      "all its threads (JIT and GC included), from `/proc/PID/stat` at the start and the end of the measured "
      "window (the load generator samples it itself as its warm-up ends and as it stops counting), divided by "
      "the round trips of that window. On this layout the load generator needs a core as much as the server "
      "does, so at 100–1000 connections every fast server reaches about the same round trips per second and "
      "the throughput ratios crowd toward 1.0; CPU per round trip still separates them, and it is what decides "
      "throughput once the server has cores to spare. It is the headline figure here. The C limit "
      "(`cecho.c`) is a minimal epoll server, one `read` and one `write` per round trip: no server does the "
      "same work with less.")
    w("")
    w("![TCP echo throughput vs connections](net-bench/throughput.svg)")
    w("")

    # -- echo, udp, unix
    for section, title, intro in [
        ("echo", "TCP echo", "Round trips per second (median of the rounds), latency of one round trip, errors summed "
         "over the rounds, and ratios to Netty epoll and to the C epoll server, the machine's limit; then the "
         "server's CPU µs per round trip (median of the rounds; see above) and its ratios to Netty epoll's and the "
         "C limit's. With one message in flight per connection a lone connection leaves the server idle between "
         "messages, so at 1 connection the CPU per round trip is mostly the cost of going to sleep and waking up."),
        ("udp", "UDP echo", "Each connection is a connected UDP socket with one datagram in flight; a datagram "
         "unanswered for 1 s is counted as lost and the next one sent. Python's `ThreadingUDPServer` starts a "
         "thread per datagram. The C limit is a blocking `recvfrom`/`sendto` loop."),
        ("unix", "Unix stream echo", "As TCP echo, over a Unix stream socket. Netty epoll uses "
         "`EpollServerDomainSocketChannel`; Python `ThreadingUnixStreamServer`."),
    ]:
        if not any(k[0] == section for k in groups):
            continue
        w(f"## {title}")
        w("")
        w(intro)
        w("")
        lost = section == "udp"
        w("| connections × size | server | round trips/s | p50 µs | p99 µs | errors |" + (" lost |" if lost else "")
          + " × Netty epoll | × C limit | server CPU µs/rt | CPU × Netty epoll | CPU × C limit |")
        w("|---|---|---:|---:|---:|---:|" + ("---:|" if lost else "") + "---:|---:|---:|---:|---:|")
        scenarios = []
        for (sec, _, sc) in groups:
            if sec == section and sc not in scenarios:
                scenarios.append(sc)
        for sc in scenarios:
            c = int(re.search(r"conns=(\d+)", sc).group(1))
            size = int(re.search(r"size=(\d+)", sc).group(1))
            netty = med(groups.get((section, "netty-epoll", sc), []), "rt_per_s")
            limit = med(groups.get((section, "c-epoll", sc), []), "rt_per_s")
            netty_cpu = med(groups.get((section, "netty-epoll", sc), []), "cpu_us_per_rt")
            limit_cpu = med(groups.get((section, "c-epoll", sc), []), "cpu_us_per_rt")
            for (sec, server, sc2), runs in groups.items():
                if sec != section or sc2 != sc:
                    continue
                v = med(runs, "rt_per_s")
                cpu = med(runs, "cpu_us_per_rt")
                name = f"**{NAMES[server]}**" if server.startswith("ours") else NAMES[server]
                w(f"| {c} × {size} B | {name} | {fmt(v)} | {fmt(med(runs, 'p50_us'), 1)} | "
                  f"{fmt(med(runs, 'p99_us'), 1)} | {total(runs, 'errors'):.0f} |"
                  + (f" {total(runs, 'lost'):.0f} |" if lost else "")
                  + f" {ratio(v, netty)} | {ratio(v, limit)} | {fmt(cpu, 2)} | {ratio(cpu, netty_cpu)} | "
                  f"{ratio(cpu, limit_cpu)} |")
        w("")

    # -- scale, shared
    for section in ("scale", "shared"):
        if any(k[0] == section for k in groups):
            scale_table(w, groups, section)

    # -- connrate
    if any(k[0] == "connrate" for k in groups):
        w("## Connection rate")
        w("")
        w("32 clients in parallel, each repeating: connect, send 64 B, read the echo, close.")
        w("")
        w("| server | connections/s | p50 µs | p99 µs | errors | × Netty epoll | × C limit | server CPU µs/connection |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|")
        netty = med(groups.get(("connrate", "netty-epoll", "parallel=32 size=64"), []), "conns_per_s")
        limit = med(groups.get(("connrate", "c-epoll", "parallel=32 size=64"), []), "conns_per_s")
        for (sec, server, sc), runs in groups.items():
            if sec == "connrate":
                v = med(runs, "conns_per_s")
                w(f"| {NAMES[server]} | {fmt(v)} | {fmt(med(runs, 'p50_us'), 1)} | {fmt(med(runs, 'p99_us'), 1)} | "
                  f"{total(runs, 'errors'):.0f} | {ratio(v, netty)} | {ratio(v, limit)} | "
                  f"{fmt(med(runs, 'cpu_us_per_conn'), 2)} |")
        w("")

    # -- idle
    if any(k[0] == "idle" for k in groups):
        w("## Idle connections: server memory")
        w("")
        w("A fresh server, warmed as for the echo runs (100 connections × 64 B, so the JIT has compiled the "
          "serving path); VmRSS (`/proc/PID/status`) before and after the C client opens the connections and "
          "exchanges 16 bytes on each (so every one was really accepted and served), then holds them idle. "
          "Bytes per connection = RSS growth / connections. For the JVM servers also the live heap per "
          "connection (`jcmd PID GC.class_histogram` totals, each after a full GC): RSS growth on a JVM depends "
          "on how much of the heap the warm-up had already touched, the live heap does not.")
        w("")
        w("| server | connections | RSS before | RSS after | bytes per connection | live heap per connection | errors | × Netty epoll |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|")
        netty = None
        for (sec, server, sc), runs in groups.items():
            if sec == "idle" and server == "netty-epoll":
                netty = med(runs, "bytes_per_conn")
        for (sec, server, sc), runs in groups.items():
            if sec == "idle":
                n = sc.split("=")[1]
                v = med(runs, "bytes_per_conn")
                heap = med(runs, "heap_per_conn")
                w(f"| {NAMES[server]} | {n} | {fmt(med(runs, 'rss_before_kb') / 1024, 1)} MiB | "
                  f"{fmt(med(runs, 'rss_after_kb') / 1024, 1)} MiB | {fmt(v)} | "
                  f"{'—' if heap is None else fmt(heap)} | {total(runs, 'errors'):.0f} | {ratio(v, netty)} |")
        w("")

    # -- http
    if any(k[0] == "http" for k in groups):
        w("## HTTP/1.1 keep-alive hello")
        w("")
        w("`wrk -t1 -c100` against `GET /` answered with `Hello, World!` (13 bytes, Content-Length): "
          "ours is the `http-hello` example (`./run http-hello`), Netty's is `HttpServerCodec` plus a handler "
          "(Netty's HttpHelloWorldServer), Python's is `http.server.ThreadingHTTPServer` with a "
          "`BaseHTTPRequestHandler` speaking HTTP/1.1, once as shipped (Nagle on: it writes headers and body "
          "in two sends, and delayed ACKs stall them) and once with `disable_nagle_algorithm = True`.")
        w("")
        w("| server | requests/s | p50 µs | p99 µs | errors | × Netty epoll | × Python http.server |")
        w("|---|---:|---:|---:|---:|---:|---:|")
        netty = med(groups.get(("http", "netty-epoll", "conns=100"), []), "req_per_s")
        py = med(groups.get(("http", "python", "conns=100"), []), "req_per_s")
        for (sec, server, sc), runs in groups.items():
            if sec == "http":
                v = med(runs, "req_per_s")
                w(f"| {NAMES[server]} | {fmt(v)} | {fmt(med(runs, 'p50_us'), 1)} | {fmt(med(runs, 'p99_us'), 1)} | "
                  f"{total(runs, 'errors'):.0f} | {ratio(v, netty)} | {ratio(v, py)} |")
        w("")

    # -- jmh
    jmh = []
    for path in a.jmh:
        try:
            with open(path) as f:
                jmh += json.load(f)
        except (OSError, ValueError):
            pass
    if jmh:
        res = {}
        for b in jmh:
            name = b["benchmark"].rsplit(".", 1)
            key = (name[0].rsplit(".", 1)[-1], name[1], b["params"]["framing"], int(b["params"]["size"]))
            alloc = b.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
            res[key] = (b["primaryMetric"]["score"], b["primaryMetric"]["scoreUnit"], alloc)
        w("## Framing codecs (JMH)")
        w("")
        w("`DecodeBenchmark`: one operation decodes a 256 KiB stream of frames (8192 frames of 32 B or 4 of "
          "64 KiB) arriving in 8 KiB direct chunks, so frames straddle chunks. Netty's decoder runs in a "
          "pipeline (`EmbeddedChannel`, `fireChannelRead` + `fireChannelReadComplete` per chunk, as a Netty server "
          "drives it, cumulation included); its frames are zero-copy slices, released (`netty`) or first copied "
          "to a `byte[]` (`netty→byte[]`), which is what ours returns: a new array the caller owns; ours "
          "through `decodeSlice` (`ours slices`) returns slices of the chunk, as Netty does. Same bytes, "
          "same chunks, same frames on both sides. Times per frame; allocation per frame from `-prof gc`.")
        w("")
        w("| framing | frame | ours ns | ours slices ns | Netty ns | Netty→byte[] ns | ours ÷ Netty | ours B alloc | ours slices B alloc | Netty B alloc |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for fr in ["lines", "delimited", "lengthField", "fixedLength"]:
            for size in [32, 65536]:
                frames = max(1, 256 * 1024 // size)
                o = res.get(("DecodeBenchmark", "ours", fr, size))
                sl = res.get(("DecodeBenchmark", "oursSlices", fr, size))
                n = res.get(("DecodeBenchmark", "netty", fr, size))
                na = res.get(("DecodeBenchmark", "nettyToArray", fr, size))
                if not o:
                    continue
                per = lambda r: r[0] * 1000 / frames if r else None  # us/op -> ns/frame
                al = lambda r: r[2] / frames if r and r[2] is not None else None
                w(f"| {fr} | {size} B | {fmt(per(o), 1)} | {fmt(per(sl), 1)} | {fmt(per(n), 1)} | {fmt(per(na), 1)} | "
                  f"{ratio(per(o), per(n))} | {fmt(al(o))} | {fmt(al(sl))} | {fmt(al(n))} |")
        w("")
        w("`EncodeBenchmark`: one frame. `encode` returns a new array of wire bytes; `writeFrame` writes into a "
          "connection's buffered output (the server's path); Netty's `LengthFieldPrepender` allocates a 4-byte "
          "header buffer and passes the payload on by reference (a gathering write follows). Netty has no "
          "encoder for delimiters or fixed lengths.")
        w("")
        w("| framing | frame | ours encode ns | ours writeFrame ns | Netty prepender ns | encode B alloc | writeFrame B alloc | Netty B alloc |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|")
        for fr in ["lines", "delimited", "lengthField", "fixedLength"]:
            for size in [32, 65536]:
                e = res.get(("EncodeBenchmark", "oursEncode", fr, size))
                wf = res.get(("EncodeBenchmark", "oursWriteFrame", fr, size))
                n = res.get(("EncodeBenchmark", "nettyLengthPrepender", fr, size)) if fr == "lengthField" else None
                if not e and not wf:
                    continue
                w(f"| {fr} | {size} B | {fmt(e[0] if e else None, 1)} | {fmt(wf[0] if wf else None, 1)} | {fmt(n[0] if n else None, 1)} | "
                  f"{fmt(e[2] if e else None)} | {fmt(wf[2] if wf else None)} | {fmt(n[2] if n else None)} |")
        w("")

    # -- profile
    prof = [(server, runs) for (sec, server, sc), runs in groups.items() if sec == "profile"]
    if prof:
        w("## What limits us")
        w("")
        w("100 connections × 64 B, one more run per server: server CPU time (`/proc/PID/stat`) per round trip "
          "and system calls per round trip (`perf stat -e raw_syscalls:sys_enter,syscalls:sys_enter_* -p PID`; "
          "empty if perf is unavailable).")
        w("")
        cols = ["all", "read", "write", "recvfrom", "sendto", "readv", "writev", "epoll_wait", "epoll_pwait", "epoll_ctl", "futex", "sched_yield"]
        present = [c for c in cols if any(f"sc_{c}" in r for _, runs in prof for r in runs)]
        w("| server | round trips/s | CPU µs / round trip | " + " | ".join(
            "syscalls" if c == "all" else c for c in present) + " |")
        w("|---|---:|---:|" + "---:|" * len(present))
        for server, runs in prof:
            w(f"| {NAMES[server]} | {fmt(med(runs, 'rt_per_s'))} | {fmt(med(runs, 'cpu_us_per_rt'), 2)} | " +
              " | ".join(fmt(med(runs, f'sc_{c}'), 2) for c in present) + " |")
        w("")
        for (sec, server, sc), runs in groups.items():
            if sec != "alloc":
                continue
            r = runs[0]
            per_rt, top = alloc_summary(r.get("jfr", ""), r.get("round_trips", 0))
            if per_rt is None:
                continue
            w(f"Allocation on {NAMES[server]}, 100 connections × 64 B: **{per_rt:,.0f} bytes per round trip** "
              f"over {fmt(r.get('round_trips'))} round trips (JFR `jdk.ThreadAllocationStatistics` at the start "
              "and end of the recording, every thread but JFR's; the 100 connections' setup is included, "
              "amortized). The largest sites, from `jdk.ObjectAllocationSample` (sampled, scaled to that total):")
            w("")
            w("| class | allocated at | bytes / round trip |")
            w("|---|---|---:|")
            for cls, site, b in top:
                w(f"| `{cls}` | `{site}` | {b:,.1f} |")
            w("")
        share_table(w, groups)
        w(LIMITS)
        w("")

    elif any(sec == "share" for (sec, _, _) in groups):
        w("## What limits us")
        w("")
        share_table(w, groups)

    with open(a.markdown, "w") as f:
        f.write("\n".join(md))
    svg_chart(groups, a.svg)


def share_table(w, groups):
    """The single-thread share of our server's CPU per poller count (net-bench/share)."""
    rows = [(sc, runs) for (sec, server, sc), runs in groups.items() if sec == "share"]
    if not rows:
        return
    w("### The busiest single thread: the Amdahl ceiling")
    w("")
    w("Our echo server under echo load (server on one core and load generator on another, unless the "
      "scenario says the two cores are shared), with the poller "
      "count set by `--pollers`: each thread's share of the server's CPU from JDK 25's CPU-time sampler "
      "(JFR `jdk.CPUTimeSample`, user and kernel time per thread, virtual threads by name; `net-bench/share`). "
      "A thread can use one core at most, so a thread carrying a share *s* of the work caps the server at "
      "1/*s* cores whatever the machine: that is the Amdahl ceiling. The pollers' shares are listed busiest "
      "first; \"JDK poller\" is the JDK's own read-poller threads, which park and wake our pollers when "
      "they block in `select`; \"carriers\" is the virtual-thread scheduler's own threads while they run "
      "no virtual thread (looking for work, parking, waking).")
    w("")
    w("| scenario | pollers | round trips/s | CPU µs / rt | busiest thread | its share | Amdahl ceiling | "
      "all pollers | each poller | handlers | serving loop | JDK poller | carriers |")
    w("|---|---:|---:|---:|---|---:|---:|---:|---|---:|---:|---:|---:|")
    for sc, runs in rows:
        r = runs[-1]
        busiest = str(r.get("busiest", "?"))
        kind = {"poller": "a poller", "serving": "the serving loop", "handler": "a handler",
                "jdk_poller": "a JDK poller", "carrier": "a carrier"}.get(busiest, busiest)
        w(f"| {sc} | {fmt(r.get('pollers'))} | {fmt(r.get('rt_per_s'))} | {fmt(r.get('cpu_us_per_rt'), 2)} | "
          f"{kind} | {fmt(100 * r.get('busiest_share', 0), 1)} % | **{fmt(r.get('amdahl_cores'), 1)} cores** | "
          f"{fmt(100 * r.get('poller', 0), 1)} % | {r.get('poller_shares', '')} | "
          f"{fmt(100 * r.get('handler', 0), 1)} % | {fmt(100 * r.get('serving', 0), 1)} % | "
          f"{fmt(100 * r.get('jdk_poller', 0), 1)} % | {fmt(100 * r.get('carrier', 0), 1)} % |")
    w("")


LIMITS = """How to read it (what the runs that built this harness showed; re-check on a quiet machine):

- **Beyond one core.** A poller does the read of every round trip of its connections: a quarter to a third
  of the server's CPU under echo load (the table above, one poller), so one poller per server would cap it
  at about three or four cores. A server runs one poller per available core by default, each connection on
  the least loaded for its life, and each poller's share falls as 1/N; the serving (accept) loop carries
  well under 1 % under echo load. What is left above them: the pollers' shares are uneven (a poller
  whose batches are smaller pays more per key), and with many pollers on few cores the JDK's own read
  poller, which parks and wakes a poller blocked in `select`, grows (it runs one per core, so on the one
  core measured here it is one thread). Connection churn is the acceptor's: see the connection rate,
  where `TcpServer.Builder.listeners(n)` (one SO_REUSEPORT listener per accepting thread) is the option.

- **System calls.** The C server is the floor: one `read` and one `write` per round trip plus a share of
  `epoll_wait`; Netty epoll is the same (`recvfrom`/`sendto`), and so is ours, about 2.0–2.2: the poller
  reads on readiness with one registration per connection for its life, so there is no EAGAIN read and
  no re-arm per read (the 4 system calls of a plain virtual-thread-per-connection server). The
  platform-thread policy pays about 3 `futex` per round trip: one OS thread wakes another per message.
- **Throughput** is within a few per cent of Netty epoll: in the run that wrote this page TCP 0.94–0.99×,
  UDP 0.99–1.00×, Unix 0.87–1.06×, HTTP 0.97×, and the differences between runs are as large as the
  differences between servers (±5–10 % here; Netty's own Unix 100 × 4 KiB rounds went from 294 k to 244 k
  within one minute), so read single ratios with that in mind and check a change with `net-bench/ab`,
  which alternates short rounds of the two servers (Unix 100 × 4 KiB, 0.87× above: `net-bench/ab unix 100
  4096 6 2` gave a median of 0.975×). Two fixes made the difference (same-window A/B runs, `perf` and
  per-thread context-switch counts): the poller yields after waking handlers instead of selecting at once
  (selecting found nothing yet, parked it through the JDK's poller and made the JDK's master poller thread
  wake once per batch: 6 278 context switches in 4 s at 100 connections; 0.89× → 0.97–1.0× Netty for TCP,
  0.90× → 1.0× for UDP), and it hands a large batch over in chunks of 32 so pooled buffers are reused while
  hot. What is left is the hand-off itself: every message crosses from the poller to the handler's virtual
  thread (a lock, an unpark, a continuation thaw and freeze, whose stack copy is 2 % of the server's
  samples at 1000 × 4 KiB) that Netty's inline pipeline does not pay, about 0.3 µs of user time per round
  trip in `perf` profiles.
- **Two cores shared with the load generator** (the `shared` section; server and load generator on both
  cores, `loadgen -j 2`, Netty with two event loops) is where ours stays behind: on 2026-12-04,
  `LAYOUT=shared RESTARTS=3 net-bench/ab tcp 1000 64 12 2` gave 0.926× Netty's round trips/s (rounds
  0.845–1.198×) at 1.065× its CPU per round trip, and 100 × 64 B 0.935× (0.828–1.182×) at 1.068×; every
  shared-layout A/B that day was between 0.84× and 0.94×. The noise floor, ours against a second ours
  (`VS=ours`, same command), was 1.022× (0.881–1.265×) shared and 0.952× (0.831–1.090×) pinned: single
  medians within about ±5 % of 1.0 say nothing, and the one-core cells (1.01×, 1.02×, 1.01×, 0.97× CPU
  per round trip at 100 / 100 / 1000 / 1000 connections × 64 B / 4 KiB / 64 B / 4 KiB, the same day,
  three server starts each) are at parity within it (but see the intervals below: with 24 rounds the echo
  example's 64 B cells are 1.08–1.09×, outside them). Where the shared gap is (`perf record -e cpu-clock`
  of each server over 4 s at 1000 × 64 B, JIT symbols from `jcmd PID Compiler.perfmap`): the kernel is
  81 % of ours and 83 % of Netty's, the same functions in the same proportions; the JIT-compiled code is
  about 1.6 µs per round trip in both; what only ours has is the virtual-thread hand-off, `libjvm`'s
  continuation thaw and freeze (4 %) and their stack copy (`memmove`, 2 %), about 0.8 µs per round trip.
  `/proc/PID/stat` agrees: user time 2.3–2.8 µs per round trip against Netty's 1.6–2.2, kernel time
  alike. The load generator, sharing the cores, also spent 0.3–1.3 µs more per round trip against ours.
  System calls are not it: ours makes 1.03 `read` and 1.03 `write` per round trip, Netty 1.14 `recvfrom`
  and 1.02 `sendto`. Tried and not kept, each as three fresh pairs of ours against ours (`VS=ours` with
  `OURS_JAVA_OPTS`), none outside the noise: one carrier and one poller (0.90–1.00×), the JDK's
  platform-thread read pollers (`-Djdk.pollerMode=1`, 0.95–1.00×), chunks of 8 keys or none (0.95–1.02×,
  0.92–1.00×), up to 20 `selectNow` calls before parking (1.01–1.08×: the JDK poller's share fell from
  4.5 % to 1.6 % and the pollers' rose from 20 % to 29 %), no inbound budget at all (0.99–1.02×). In
  the shared layout with one load-generator process the carriers' own time (the scheduler looking for
  work before it parks) reached 7 % and the JDK's poller 4.5 %; with `loadgen -j 2`, the layout measured
  here, 3 % and 0 % (the share table above). What is left is the hand-off a blocking handler needs:
  Netty runs its handler inline on the event loop, which a handler that may block cannot do.
  `Handlers.nonBlocking` is that model for a handler that never blocks: the replies are computed on the
  poller's thread that read the message, and only what could wait goes to a virtual thread (the
  "Handlers.nonBlocking" rows of the shared table, a fixed-length echo of the load's 64 B messages). A
  `perf` profile at 1000 × 64 B has the continuation thaw and freeze down from 6 % of the samples to
  0.2 %, the JIT-compiled code at 7 % as in Netty's, and `perf stat` counts 2.03 system calls per round
  trip (1.01 `read`, 1.01 `write`) against Netty's 2.12, 0.063 context switches against 0.071. The A/B
  (`LAYOUT=shared RESTARTS=4 net-bench/ab nonblocking C 64 16 2`, 2026-12-04, 16 rounds in 4 server
  starts): 1000 × 64 B 0.951× Netty's round trips/s (rounds 0.834–1.140×) at 1.092× its CPU per round
  trip, 100 × 64 B 0.972× (0.721–1.156×) at 1.018×; the same command with 12 rounds an hour earlier gave
  1.010× (0.749–1.120×) at 1.016× and 0.933× (0.831–1.135×) at 1.103×, and later (the code of
  this page, which no longer caches the MDC's client string: 72 B per idle connection for 1 % of CPU)
  0.966× (0.785–1.021×) at 1.055× and 0.966× (0.757–1.233×) at 1.045×. On one core (`RESTARTS=4
  net-bench/ab nonblocking C S 16 2`) its CPU per round trip is 1.003×, 1.007×, 0.987× and 1.067×
  Netty's at 1000 × 64 B, 100 × 64 B, 1000 × 4 KiB and 100 × 4 KiB. What stays is the kernel's way in:
  the JDK's `SocketChannel` reads and writes with `read(2)` and `write(2)`, through `vfs_read`,
  `vfs_write`, `fdget_pos` and `rw_verify_area` (5.5 % of our samples at 100 × 64 B), where Netty's
  native transport calls `recvfrom(2)` and `sendto(2)` (2.4 % of its): about 3 % of the server's CPU,
  which no public JDK API avoids. Short of that, the two are at parity within this machine's noise
  (the A/A floor above): its medians were 0.93–1.01× in round trips/s, and none holds from one session to
  the next.
- **With a confidence interval.** `net-bench/ab` now prints, beside each median ratio, a 95 %
  interval of that median (order statistics: it assumes nothing of the rounds' distribution) and lets
  the two servers take turns going first in a round. `RESTARTS=4 net-bench/ab KIND C S 24 2` (and
  `LAYOUT=shared`), 24 rounds in 4 server starts per cell, 2026-12-04 14:14–14:45, after the MDC change
  below; ours / Netty epoll, median (interval):

  | cell | layout | `nonBlocking` round trips/s | `nonBlocking` CPU / rt | echo example round trips/s | echo example CPU / rt |
  |---|---|---:|---:|---:|---:|
  | 1000 × 64 B | one core | 1.014× (0.921–1.182) | 0.978× (0.855–1.054) | 0.921× (0.877–0.979) | 1.079× (1.022–1.166) |
  | 100 × 64 B | one core | 1.058× (0.973–1.138) | 0.968× (0.883–1.039) | 0.932× (0.908–0.994) | 1.087× (1.026–1.108) |
  | 1000 × 4 KiB | one core | 0.947× (0.912–1.058) | 1.059× (0.972–1.107) | 0.988× (0.906–1.073) | 1.000× (0.933–1.093) |
  | 100 × 4 KiB | one core | 0.934× (0.891–0.986) | 1.090× (1.022–1.133) | 0.972× (0.946–1.021) | 1.042× (1.004–1.073) |
  | 1000 × 64 B | 2 cores shared | 0.993× (0.937–1.012) | 1.020× (0.996–1.081) | 0.913× (0.904–0.963) | 1.124× (1.068–1.141) |
  | 100 × 64 B | 2 cores shared | 0.964× (0.888–1.005) | 1.054× (1.003–1.158) | 0.936× (0.888–0.957) | 1.111× (1.076–1.183) |

  - `Handlers.nonBlocking` at 64 B: its CPU per round trip is 0.97–0.98× Netty's on one core, but 1
    is inside both intervals; on two shared cores its round trips/s are 0.96–0.99×, 1 inside both again.
    At parity, not shown better.
  - The echo example (a blocking handler, the virtual-thread hand-off per message) needs 8–12 % more
    CPU per round trip than Netty at 64 B, and 1 is outside every interval: the earlier single medians
    of 1.01–1.02× were inside the noise. At 4 KiB it is 1.00× and 1.04×.
  - `Handlers.nonBlocking` at 4 KiB: 1.06× and 1.09× (the second outside). `perf` at 100 × 4 KiB
    puts 5.4 % of its samples in `ChannelConnection.pollFrame`, which allocates and fills a fresh 4 KiB
    array per message (new memory, zeroed, then filled), and 2.3 % in the JIT's copy stubs. The
    echo example reads into one array per connection, reused, and is at 1.00–1.04× there. (A 4 MB
    young generation, `OURS_JAVA_OPTS=-Xmn4m`, which would keep that new memory in the cache, gave
    1.058× against 1.096× without it, 12 rounds each in one window: inside the noise.) A
    `FrameHandler`'s frame is an array the handler may keep, so the copy and the allocation are that
    API's price; a handler over borrowed buffers (Netty's pooled, reference-counted `ByteBuf`) would
    not pay it.
  - The fixed-length and length-field decoders then stopped allocating a `PartialFrame` (and its
    list) for a frame whose bytes are all at hand: 91 B instead of 152 B allocated per round trip at
    64 B (JFR's per-thread allocation totals over 5 s of load). The A/B after it, same command:
    100 × 64 B CPU per round trip 1.020× (0.999–1.102), 100 × 4 KiB 1.069× (1.024–1.182), against
    0.968× and 1.090× in the table: the same within the intervals, which is how much two batches
    of 24 rounds of the same code can differ here.
  - The SLF4J provider of the bench (slf4j-simple) keeps no MDC, so a server no longer formats the
    client's address for it (`ClientMdc`): `InetSocketAddress.toString` was 0.9 % of the samples at
    1000 × 64 B and is gone from the profile.
- **Borrowed frames.** `Handlers.nonBlockingSlices` hands the handler a slice of the buffer the
  poller read into instead of a new array (Netty's pooled `ByteBuf`, without reference counts: the
  loan ends when the handler returns), and copies the reply once, into the write buffer. Allocation
  per round trip at 100 connections (JFR's per-thread totals over 5 s): 88 B at 4 KiB, against
  4 122 B through `Handlers.nonBlocking`; 87 B against 86 B at 64 B. Server CPU per round trip,
  `RESTARTS=4 net-bench/ab KIND C S 24 2`, 2026-12-04 16:01–16:14, ours / Netty epoll, median
  (interval):

  | cell | `nonBlockingSlices` | `nonBlocking`, same window |
  |---|---:|---:|
  | 100 × 4 KiB | 0.983× (0.965–1.071) | 1.070× (1.005–1.139) |
  | 1000 × 4 KiB | 1.059× (0.999–1.172) | |
  | 100 × 64 B | 1.058× (1.016–1.138) | |
  | 1000 × 64 B | 1.040× (0.977–1.092) | |

  Against each other (`VS=ours:nonblocking RESTARTS=4 net-bench/ab slices C S 16 2`, 16:18–16:26):
  0.989× (0.851–1.044) at 100 × 4 KiB, 0.978× (0.929–1.034) at 1000 × 4 KiB, 1.043× (0.989–1.159)
  at 100 × 64 B, 0.990× (0.969–1.049) at 1000 × 64 B; every interval holds 1. With 48 rounds in 6
  starts (`RESTARTS=6 net-bench/ab KIND C S 48 2`, 16:47–17:06), against Netty: `nonBlockingSlices`
  at 1000 × 4 KiB 0.968× (0.950–0.996), below 1; at 100 × 4 KiB 1.020× (0.963–1.041). In the same
  batch `nonBlocking` at 100 × 64 B needed 1.068× (1.010–1.126), above 1 (earlier batches: 0.968×
  and 1.020×, 1 inside), and at 1000 × 64 B 0.988× (0.945–1.056). The decoder alone (JMH
  `DecodeBenchmark`, fixed 4 KiB frames in 8 KiB chunks): 12.7 ns and 64 B per frame through
  `decodeSlice` against 515 ns and 4 112 B through `decode` (Netty: 71 ns, 40 B). So the 4 KiB
  gap to Netty is gone (below it at 1000 connections), though against `nonBlocking` directly the
  saving is inside what 16 rounds resolve; at 64 B nothing changes. A frame over several reads
  (64 KiB frames, or 4 KiB length-field frames straddling 8 KiB chunks) is still gathered into a new
  array: 3–4× Netty's decode time there, whose cumulation buffer is reused.
- **Platform pollers.** A poller that answers the requests itself (`Handlers.nonBlocking` or
  `nonBlockingSlices` under virtual threads, with no TLS, PROXY protocol or read timeout) runs on a
  platform thread since 2026-12-04; the others stay virtual. A virtual thread's `select` that finds
  nothing parks, and the JDK resumes it through its master poller (a platform thread) and a read
  poller (a virtual thread), one more thread wake-up and two more `epoll_wait` per idle spell; a
  platform thread waits in `epoll_wait` itself, as Netty's event loop does. In `perf record` of the
  server at 100 × 64 B (one core, `-F 4999` over 4 s), before: the carrier 98.0 % of the samples,
  `MasterPoller` 0.6 %, `finish_task_switch` 0.95 %; after: the poller thread 99.7 %, no
  `MasterPoller`, `finish_task_switch` 0.39 %. What the rest of the kernel profile shows is the
  JDK's `read`/`write` through the VFS (`vfs_read`, `fdget_pos`, `rw_verify_area`: about 0.2 µs per
  round trip) where Netty calls `recvfrom`/`sendto`; no public JDK API changes that. Server CPU per
  round trip, this build against the one before it (alternating rounds of both builds' `OursServers`
  servers, pinned as `net-bench/ab`), median (interval): `nonBlocking` 100 × 64 B 0.962×
  (0.906–1.021, 24 rounds) and, switched by a property in one build, 0.961× (14 of 16 rounds below
  1); 1000 × 64 B 0.977× (0.932–1.081) and 0.943×; `nonBlockingSlices` 1000 × 4 KiB 1.006×
  (0.908–1.056). A blocking handler's code path did not change, and its A/A in the same window read
  0.959× (0.905–1.096, 12 rounds): a saving of about 4 % is at what this machine resolves. Against
  Netty epoll, 2026-12-04 18:20–18:39 (`RESTARTS=6 net-bench/ab nonblocking 100 64 48 2`, the others
  `RESTARTS=4 … 24 2`), CPU per round trip:

  | cell | handler | ours / Netty | 95 % interval | rounds' range |
  |---|---|---:|---|---|
  | 100 × 64 B | `nonBlocking` | 0.996× | 0.962–1.016 | 0.710–1.289 |
  | 1000 × 64 B | `nonBlocking` | 0.955× | 0.941–1.000 | 0.732–1.299 |
  | 100 × 4 KiB | `nonBlockingSlices` | 0.992× | 0.965–0.998 | 0.720–1.042 |
  | 1000 × 4 KiB | `nonBlockingSlices` | 0.974× | 0.898–1.048 | 0.803–1.163 |
  | shared, 100 × 64 B | `nonBlocking` | 0.990× (round trips/s 0.999×, 0.982–1.039) | 0.963–1.018 | 0.881–1.217 |
  | shared, 1000 × 64 B | `nonBlocking` | 0.994× (round trips/s 1.007×, 0.994–1.035) | 0.966–1.013 | 0.761–1.146 |

  The same 100 × 64 B cell read 1.068× (1.010–1.126) with virtual pollers in the 48-round batch of
  "Borrowed frames". Every median is now at or below Netty's; the blocking handlers (the echo example
  above) keep their virtual pollers and their hand-off.
  A byte-stream echo, Netty's own (`Handlers.nonBlockingSlices(Framing.chunks(65536), b -> b)`:
  each read's bytes borrowed and written back, whatever the message size; `net-bench/ab chunks`),
  18:56–19:15, CPU per round trip against Netty epoll: 100 × 64 B 1.000× (0.991–1.007, 48 rounds,
  rounds 0.780–1.270), 1000 × 64 B 0.986× (0.903–1.019), 100 × 4 KiB 0.988× (0.984–0.999, below
  1), 1000 × 4 KiB 1.000× (0.940–1.016); on the two shared cores, round trips/s 0.999×
  (0.944–1.010) and 0.994× (0.963–1.061) at 100 and 1000 × 64 B, CPU per round trip 1.000× and
  1.006×. The same echo as Netty's is at parity with it on every cell.
- **Isolation.** Until the harness stopped the idle servers while measuring one, TCP 1000 × 4 KiB fell
  to 0.70× in one round of three in two full runs (0.72× and 0.77× overall), while the same rounds with
  only our server and Netty's up never did (1.00–1.07×). With the others stopped it is 0.99× (rounds
  0.93×, 1.00×, 0.99×), and every server's figures rose: the C limit at 1000 × 4 KiB went from 143–171 k
  to 157–188 k round trips/s.
- **Allocation per round trip** is the JDK's: its default scheduler wraps every submission of a virtual
  thread in a `ForkJoinTask`. At so low a rate JFR samples allocations only when a thread-local buffer is
  refilled, a handful of times per run, so the sampled sites above can be chance; with `-XX:-UseTLAB`
  (every allocation sampled, 1 560 samples) 86 % was `ForkJoinTask$RunnableExecuteAction` from
  `VirtualThread.unpark` and `afterYield`, 13 % JFR's own start-up. Ours is gone: reads land in pooled direct buffers,
  the echo writes the poller's buffer itself, and a waiting handler parks on a field, not a `Condition`
  (which allocates a node per wait). Reaching 0 would take a custom scheduler, which needs JDK internals.
  Past 128 connections the JDK's epoll selector adds 16 B per ready connection: it looks each ready
  descriptor up in a `HashMap<Integer, SelectionKey>`, so every descriptor above 127 is boxed (after
  1000 × 64 B, `jcmd PID GC.class_histogram -all` counted 785 k `Integer` for 733 k round trips; none with
  the JVM flag `-XX:AutoBoxCacheMax=65536`, which widens the `Integer` cache).
- **Idle connections.** RSS growth on a JVM moves a lot between runs (it depends on how much of the heap
  the warm-up had already touched), so the live heap per connection is the steadier figure. A blocking
  handler (`input().transferTo(output())`, any `read()` loop) keeps its frozen stack while it waits: about
  0.9 KB of `StackChunk` once the JIT has compiled the serving path, 2.2 KB per connection in all against
  Netty's 1.3 KB. A message handler (`Handlers.framed`, `Handlers.lines`, `Handlers.nonBlocking`) under virtual
  threads gives its thread back between messages: no thread, no stack, about 1.0 KB per connection, below Netty's. The rest
  is the JDK's `SocketChannelImpl` with its locks and addresses, the selector's key, and our
  `ChannelConnection` with its lock and streams (`jcmd PID GC.class_histogram` before and after).

The delimiter decoder allocates about 4.4× a 64 KiB record (its buffer doubles up to 128 KiB and is
dropped after each record): keeping the grown buffer while records stay large would bring that near 1×.
"""


if __name__ == "__main__":
    main()
