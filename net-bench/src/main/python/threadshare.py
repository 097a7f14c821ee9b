"""Per-thread share of a JVM's CPU time, from a JFR recording's jdk.CPUTimeSample events.

    python3 threadshare.py RECORDING.jfr JFR_TOOL

JDK 25's CPU-time sampler (JEP 509) takes a sample of each thread every time that thread has
used a sampling period of CPU, in user or kernel mode, so a system call's cost counts: summing
the sampling periods by thread gives each thread's CPU time. A sample taken while a carrier runs
a virtual thread names the virtual thread. Prints one key=value line: the busiest single thread
(its kind and share of the server's CPU), the share of each kind of thread (pollers, handlers, the
serving loop, carriers' own scheduling, JDK pollers, GC, JIT, other), and the Amdahl ceiling,
1 / the busiest single thread's share: the most cores the server could use before that one
thread, which can use only one, is saturated. JFR's own threads are left out of the total.
"""
import collections
import re
import subprocess
import sys

THREAD = re.compile(r'eventThread = "(.*)" \(javaThreadId = (\d+)')
PERIOD = re.compile(r'samplingPeriod = ([\d.]+) (ns|us|ms|s)\b')
UNIT = {'ns': 1e-9, 'us': 1e-6, 'ms': 1e-3, 's': 1.0}


def kind(name):
    if name.startswith('socketserver-poller'):
        return 'poller'
    if name.startswith('socketserver-handler'):
        return 'handler'
    if name.startswith('socketserver-'):
        return 'serving'  # the serving (accept) loop and the server's other own threads
    if name.startswith('ForkJoinPool'):
        return 'carrier'
    if 'Poller' in name:
        return 'jdk_poller'
    if 'GC' in name or name.startswith(('G1 ', 'VM Periodic', 'VM Thread')):
        return 'gc_vm'
    if 'Compiler' in name:
        return 'jit'
    if name.startswith('JFR'):
        return 'jfr'
    return 'other'


def main(recording, jfr):
    text = subprocess.run([jfr, 'print', '--events', 'jdk.CPUTimeSample', '--stack-depth', '1', recording],
                          check=True, capture_output=True, text=True).stdout
    by_thread = collections.Counter()
    names = {}
    thread = None
    for line in text.splitlines():
        m = THREAD.search(line)
        if m:
            thread = m.group(2)
            names[thread] = m.group(1)
            continue
        m = PERIOD.search(line)
        if m and thread is not None:
            by_thread[thread] += float(m.group(1)) * UNIT[m.group(2)]
    by_kind = collections.Counter()
    for t, secs in by_thread.items():
        by_kind[kind(names[t])] += secs
    total = sum(s for k, s in by_kind.items() if k != 'jfr')
    if total == 0:
        print('error=no_samples')
        return 1
    busiest = max((t for t in by_thread if kind(names[t]) != 'jfr'), key=by_thread.get)
    share = by_thread[busiest] / total
    pollers = sorted((s / total for t, s in by_thread.items() if kind(names[t]) == 'poller'), reverse=True)
    fields = [f'cpu_s={total:.3f}',
              f'busiest={kind(names[busiest])}', f'busiest_share={share:.3f}', f'amdahl_cores={1 / share:.1f}',
              f'pollers={len(pollers)}', 'poller_shares=' + ','.join(f'{p:.3f}' for p in pollers)]
    fields += [f'{k}={by_kind[k] / total:.3f}' for k in
               ('poller', 'handler', 'serving', 'carrier', 'jdk_poller', 'gc_vm', 'jit', 'other')]
    print(' '.join(fields))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
