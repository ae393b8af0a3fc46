#!/usr/bin/env bash
# `bastion dump` against DCMTK's `dcmdump` as whole processes over the same 1,000 CT files
# (issue 2). Both print every element; pixel data is summarised, not printed, by both.
#   bench/dump_vs_dcmdump.sh [BASTION_BINARY] [COUNT]
# Needs: dcmtk, hyperfine, python3-pydicom, python3-numpy (make test installs them).
# Writes bench/results/dump-vs-dcmdump-<date>.md. Loops are bounded by COUNT and --runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bastion=${1:-build/release/apps/bastion/bastion}
count=${2:-1000}
data=build/bench-data
if [[ ! -f $data/ct/$(printf '%04d' $((count - 1))).dcm ]]; then
  /usr/bin/python3 bench/make_bench_files.py --out "$data" --count "$count"
fi
mapfile -t files < <(find "$data/ct" -name '*.dcm' | sort | head -n "$count")
list=$(mktemp)
printf '%s\n' "${files[@]}" >"$list"
trap 'rm -f "$list"' EXIT
cat "${files[@]}" >/dev/null  # warm the page cache

out=bench/results/dump-vs-dcmdump-$(date +%Y-%m-%d).md
mkdir -p bench/results
json=$(mktemp)
# One process over all files, and one process per file (startup cost included).
hyperfine --warmup 1 --runs 5 --export-markdown "$json.md" \
  -n "bastion dump (1 process, $count files)" "xargs -a $list $bastion dump > /dev/null" \
  -n "dcmdump (1 process, $count files)" "xargs -a $list dcmdump > /dev/null" \
  -n "bastion dump --no-pixel-data" "xargs -a $list $bastion dump --no-pixel-data > /dev/null" \
  -n "dcmdump -M (do not load long values)" "xargs -a $list dcmdump -M > /dev/null"
hyperfine --warmup 1 --runs 3 --export-markdown "$json.per-file.md" \
  -n "bastion dump (1 process per file)" "xargs -a $list -n 1 $bastion dump > /dev/null" \
  -n "dcmdump (1 process per file)" "xargs -a $list -n 1 dcmdump > /dev/null"
{
  echo "# bastion dump vs dcmdump, $count CT files ($(du -sh "$data/ct" | cut -f1))"
  echo
  echo "Machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(dcmdump --version | head -n 1)"
  echo
  cat "$json.md"
  echo
  cat "$json.per-file.md"
} >"$out"
rm -f "$json" "$json.md" "$json.per-file.md"
echo "wrote $out"
cat "$out"
