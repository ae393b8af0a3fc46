#!/usr/bin/python3
"""Sample a process's VmRSS every INTERVAL seconds until it exits or this sampler gets SIGTERM;
then print "peak_kib=N samples=M" (N = largest VmRSS seen, KiB) and write every sample
("seconds_since_start rss_kib") to TRACE.

  /usr/bin/python3 rss_sampler.py PID TRACE [INTERVAL=0.1]
"""
import signal
import sys
import time


def vmrss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def main():
    pid, trace = sys.argv[1], sys.argv[2]
    interval = float(sys.argv[3]) if len(sys.argv) > 3 else 0.1
    stop = False

    def on_term(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    samples = []
    t0 = time.monotonic()
    while not stop:
        try:
            v = vmrss(pid)
        except OSError:
            break
        if v is None:
            break
        samples.append((time.monotonic() - t0, v))
        time.sleep(interval)
    with open(trace, "w") as f:
        for t, v in samples:
            f.write(f"{t:.2f} {v}\n")
    print(f"peak_kib={max((v for _, v in samples), default=0)} samples={len(samples)}")


if __name__ == "__main__":
    main()
