#!/usr/bin/python3
"""The machine's ceiling for a durable archive: copy every file of a list into a fresh directory,
one write and one fsync per file (as /work/shared/bench/bench_physical.sh does), with W writer
processes in parallel, each taking a contiguous quarter (W-th) of the list.

  /usr/bin/python3 fsync_ceiling.py LISTFILE OUTDIR WRITERS

Prints the wall time in seconds, from before the first writer starts to after the last one ends.
The source files should already be in the page cache (the caller reads them first). OUTDIR must
not exist; it is created and left for the caller to delete.
"""
import os
import sys
import time


def write_part(files, outdir, first):
    for i, path in enumerate(files):
        with open(path, "rb") as f:
            data = f.read()
        fd = os.open(os.path.join(outdir, f"{first + i}.dcm"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)


def main():
    listfile, outdir, writers = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(listfile) as f:
        files = [line.rstrip("\n") for line in f if line.strip()]
    os.makedirs(outdir)
    n = len(files)
    bounds = [n * k // writers for k in range(writers + 1)]
    t0 = time.perf_counter()
    pids = []
    for k in range(writers):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                write_part(files[bounds[k]:bounds[k + 1]], outdir, bounds[k])
            except BaseException as e:  # report and exit non-zero from the child, never return
                print(f"writer {k}: {e}", file=sys.stderr)
                code = 1
            os._exit(code)
        pids.append(pid)
    ok = True
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        ok = ok and os.waitstatus_to_exitcode(status) == 0
    t1 = time.perf_counter()
    if not ok:
        sys.exit(1)
    print(f"{t1 - t0:.4f}")


if __name__ == "__main__":
    main()
