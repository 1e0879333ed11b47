#!/usr/bin/env bash
# The sample's default run on an idle machine and with one other CPU-bound process, as a ratio.
# Usage: benchmarks/cli-under-load.sh [runs] [extra sample arguments...]
# Builds the sample in Release, fetches/caches the data once, then times `runs` idle and `runs` loaded runs
# (interleaved, so drift hits both) and prints the medians and their ratio. Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
shift || true

dotnet build -c Release src/Sample.Mnist -v quiet -nologo >/dev/null
dll=src/Sample.Mnist/bin/Release/net10.0/$(dotnet --info | sed -n 's/^ *RID: *//p' | head -1)/Sample.Mnist.dll
work=$(mktemp -d); mkdir "$work/data"
trap 'rm -rf "$work"; [ -n "${hog:-}" ] && kill "$hog" 2>/dev/null || true' EXIT

sample() { dotnet "$dll" --data "$work/data" --out "$work/out" --plain "$@" >/dev/null; }
seconds() { local start end; start=$(date +%s.%N); sample "$@"; end=$(date +%s.%N); echo "$end - $start" | bc; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

sample --epochs 1 "$@"   # fetch and cache the data once
idle=(); loaded=()
for ((i = 0; i < runs; i++)); do
  idle+=("$(seconds "$@")")
  yes >/dev/null & hog=$!
  loaded+=("$(seconds "$@")")
  kill "$hog"; wait "$hog" 2>/dev/null || true; hog=
done

idle_median=$(printf '%s\n' "${idle[@]}" | median)
loaded_median=$(printf '%s\n' "${loaded[@]}" | median)
echo "sample default run ($*): idle ${idle[*]} s; one busy core ${loaded[*]} s"
echo "median idle ${idle_median} s, median loaded ${loaded_median} s, ratio $(echo "scale=2; $loaded_median / $idle_median" | bc)"
