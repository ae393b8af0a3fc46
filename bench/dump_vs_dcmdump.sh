#!/usr/bin/env bash
# `bastion dump` against DCMTK's `dcmdump` as whole processes over the same 1,000 CT files
# (issue 2), with hyperfine; results as medians and ratios in
# bench/results/dump-vs-dcmdump-<date>.md.
#   bench/dump_vs_dcmdump.sh [BASTION_BINARY] [COUNT] [RUNS]
# RUNS (default 15) applies to the one-process rows over all files; the RT Structure Set row
# runs 6 times and the one-process-per-file row 3 times.
# Pairs compared like with like:
#   full:           bastion dump               | dcmdump          (every element, pixel data
#                   summarised in one line by both; dcmdump loads it, bastion maps it)
#   without pixels: bastion dump --no-pixel-data | dcmdump +sb 7fe0,0010 (stop before it;
#                   the two listings hold the same elements)
#   dcmdump -M (parses past pixel data without loading it) is shown for reference.
# Each pair runs once as one process over all files and once as one process per file
# (start-up included), plus a metadata-heavy RT Structure Set dumped 20 times in one process.
# Needs: dcmtk, hyperfine, python3-pydicom, python3-numpy (make test installs them).
# Every loop is bounded by COUNT and RUNS; hyperfine fails if any command exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
bastion=${1:-build/release/apps/bastion/bastion}
count=${2:-1000}
runs=${3:-15}
data=build/bench-data
[[ -x $bastion ]] || { echo "no bastion binary at $bastion" >&2; exit 2; }
if [[ ! -f $data/ct/$(printf '%04d' $((count - 1))).dcm || ! -f $data/rtstruct_heavy.dcm ]]; then
  /usr/bin/python3 bench/make_bench_files.py --out "$data" --count "$count"
fi
mapfile -t files < <(find "$data/ct" -name '*.dcm' | sort | head -n "$count")
((${#files[@]} == count)) || { echo "expected $count files, found ${#files[@]}" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
list=$work/files
printf '%s\n' "${files[@]}" >"$list"
# "One process" must really be one: xargs would split an over-long command line.
[[ $(xargs -a "$list" echo | wc -l) == 1 ]] || { echo "xargs splits the file list" >&2; exit 2; }
rt_list=$work/rt
for _ in $(seq 20); do echo "$data/rtstruct_heavy.dcm"; done >"$rt_list"

cat "${files[@]}" "$data/rtstruct_heavy.dcm" >/dev/null  # warm the page cache
load=$(cut -d' ' -f1-3 /proc/loadavg)
# Same elements listed by both in the without-pixels pair (a sanity check, not timed).
b_lines=$("$bastion" dump --no-pixel-data "${files[0]}" | grep -c '^(')
d_lines=$(dcmdump +sb 7fe0,0010 "${files[0]}" 2>/dev/null | grep -c '^(')
echo "elements listed for ${files[0]}: bastion $b_lines, dcmdump $d_lines"

pairs=(
  "full, 1 process|xargs -a $list $bastion dump|xargs -a $list dcmdump"
  "no pixel data, 1 process|xargs -a $list $bastion dump --no-pixel-data|xargs -a $list dcmdump +sb 7fe0,0010"
  "reference: dcmdump -M, 1 process||xargs -a $list dcmdump -M"
  "RT struct x20, 1 process|xargs -a $rt_list $bastion dump|xargs -a $rt_list dcmdump"
  "full, 1 process per file|xargs -a $list -n 1 $bastion dump|xargs -a $list -n 1 dcmdump"
)
# Each pair runs in 3 rounds (bastion, dcmdump, bastion, dcmdump, ...) and the times are
# pooled, so that load drifting on a shared machine does not fall on one command only.
rounds=3
i=0
for pair in "${pairs[@]}"; do
  IFS='|' read -r label ours theirs <<<"$pair"
  args=()
  [[ -n $ours ]] && args+=(-n "bastion" "$ours > /dev/null")
  args+=(-n "dcmdump" "$theirs > /dev/null")
  r=$((runs / rounds > 0 ? runs / rounds : 1))
  [[ $label == RT* ]] && r=2
  [[ $label == *"per file"* ]] && r=1
  echo "== $label"
  for round in $(seq "$rounds"); do
    hyperfine --style basic --warmup 1 --runs "$r" --export-json "$work/$i.$round.json" "${args[@]}"
  done
  echo "$label" >"$work/$i.label"
  i=$((i + 1))
done

out=bench/results/dump-vs-dcmdump-$(date +%Y-%m-%d).md
mkdir -p bench/results
{
  echo "# bastion dump vs dcmdump, $count CT files of 512x512 ($(du -cb "${files[@]}" | tail -n 1 | cut -f1 | numfmt --to=si)B)"
  echo
  echo "$(nproc) cores, load before the run $load;" \
    "$(dcmdump --version | head -n 1 | tr -d '$'); bastion $(git rev-parse --short HEAD 2>/dev/null || echo '?');" \
    "hyperfine medians of runs pooled from 3 alternating rounds, page cache warm."
  echo "Elements listed without pixel data, first file: bastion $b_lines, dcmdump $d_lines."
  echo
  /usr/bin/python3 - "$work" "$i" <<'PY'
import glob, json, statistics, sys
work, n = sys.argv[1], int(sys.argv[2])
def fmt(s):
    return "%.1f ms" % (s * 1e3) if s < 1 else "%.2f s" % s
print("| workload | bastion dump | dcmdump | dcmdump / bastion | runs, min-max |")
print("|---|---:|---:|---:|---|")
for k in range(n):
    label = open("%s/%d.label" % (work, k)).read().strip()
    results = {}
    for path in sorted(glob.glob("%s/%d.*.json" % (work, k))):
        for r in json.load(open(path))["results"]:
            results.setdefault(r["command"], {"times": []})["times"] += r["times"]
    med = {c: statistics.median(r["times"]) for c, r in results.items()}
    rng = "; ".join("%s %d, %s-%s" % (c, len(r["times"]), fmt(min(r["times"])), fmt(max(r["times"])))
                    for c, r in results.items())
    ours = med.get("bastion")
    ratio = "%.2f" % (med["dcmdump"] / ours) if ours else ""
    print("| %s | %s | %s | %s | %s |" % (label, fmt(ours) if ours else "", fmt(med["dcmdump"]),
                                          ratio, rng))
PY
} >"$out"
echo "wrote $out"
cat "$out"
