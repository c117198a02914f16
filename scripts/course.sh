#!/usr/bin/env bash
# The course's bill: runs every lecture example's full mode (seed 42) one after another, as a student would, and
# writes what each cost — wall seconds, CPU seconds, peak resident memory — with where its time went (its profile's
# largest sections) and its result (the example's last line).
#
#   scripts/course.sh [--fast] [--only A,B,...] [--seed N] [--out DIR] [--summary-only]
#
# Each example runs through scripts/record.sh, which also records the full runs at seed 42 in docs/results (the README's
# tables are rendered from there: scripts/record.sh --readme).
#
# Output (DIR, default runs/course): each example's own run folder DIR/<Example> (metrics.json, provenance.json, profile.json,
# figures, log.txt, time.txt, commit.txt, where.txt), and, made from every example folder in DIR, summary.md (the table) and summary.json
# (<Example>_wall_seconds, _cpu_seconds, _peak_mb for each example, total_wall_seconds, the machine). --only re-runs
# some examples and rebuilds the summary with the others' earlier rows (each row names its commit). Run it on an idle
# machine: the numbers are the machine's.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

out=runs/course
seed=42
fast=()
only=""
summary_only=false
while [ $# -gt 0 ]; do
  case "$1" in
    --fast) fast=(--fast) ;;
    --only) only=${2:?--only needs a comma-separated list of examples}; shift ;;
    --seed) seed=${2:?--seed needs a number}; shift ;;
    --out) out=${2:?--out needs a folder}; shift ;;
    --summary-only) summary_only=true ;;
    *) echo "usage: $0 [--fast] [--only A,B,...] [--seed N] [--out DIR] [--summary-only]" >&2; exit 2 ;;
  esac
  shift
done
[ -x /usr/bin/time ] || { echo "course: /usr/bin/time is missing (Debian: apt-get install time); it measures CPU time and peak memory" >&2; exit 2; }

# The lectures in the course's order (the README's example table).
all=(QuickStart Autograd Backprop Activations UniversalApproximation MlpMnist LearnFilters CnnMnist ResNet UNet
  AttentionKernel VitMnist GptFiniteState Autoencoders VqVae CoinGan GanMnist Diffusion NeuralOde ReinforcementLearning
  XorGnn Molecules TransformerAsGnn OptimizerComparison BatchNormXor Regularization Interpretability TransferLearning
  Adversarial)
examples=("${all[@]}")
if [ -n "$only" ]; then
  IFS=, read -r -a examples <<< "$only"
fi
for name in "${examples[@]}"; do
  [[ " ${all[*]} " == *" $name "* ]] || { echo "course: '$name' is not one of the course's examples: ${all[*]}" >&2; exit 2; }
  [ -f "examples/$name/$name.csproj" ] || { echo "course: no example '$name' (examples/$name/$name.csproj)" >&2; exit 2; }
done

if [ "$summary_only" = true ]; then
  examples=()
fi
# Data first (downloads and checksums are not the examples' cost), then one build of everything.
[ ${#examples[@]} -eq 0 ] || scripts/fetch-data.sh
mkdir -p "$out"
[ ${#examples[@]} -eq 0 ] || echo "course: building ${#examples[@]} examples"
for name in "${examples[@]}"; do
  dotnet build "examples/$name" -v quiet -nologo > "$out/build.log" 2>&1 || { cat "$out/build.log" >&2; exit 1; }
done

cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
cores=$(nproc)
# Full runs at seed 42 are the course's results: scripts/record.sh also records each in docs/results (where the code
# is committed); fast runs and other seeds are only timed.
record=()
[ ${#fast[@]} -eq 0 ] && [ "$seed" = 42 ] || record=(--no-record)

failed=()
i=0
for name in "${examples[@]}"; do
  i=$((i + 1))
  echo "course: [$i/${#examples[@]}] $name ..."
  scripts/record.sh --no-build "${record[@]}" --out "$out/$name" "$name" -- --seed "$seed" "${fast[@]}" | sed "s|^record: |course: [$i/${#examples[@]}] |" || failed+=("$name")
done

# The summary, from every example folder there is, in the course's order.
json="$out/summary.json.tmp"
table="$out/summary.md.tmp"
{
  echo "| example | wall s | CPU s | peak MB | where the time went (self time) | result | commit |"
  echo "|---|---:|---:|---:|---|---|---|"
} > "$table"
printf '{\n  "cpu": "%s",\n  "cores": %s,\n  "seed": %s,\n  "fast": %s' \
  "$cpu_model" "$cores" "$seed" "$([ ${#fast[@]} -gt 0 ] && echo true || echo false)" > "$json"
total=0
count=0
for name in "${all[@]}"; do
  dir="$out/$name"
  [ -f "$dir/time.txt" ] && [ -f "$dir/commit.txt" ] || continue
  count=$((count + 1))
  read -r wall user sys rss_kb < <(tail -1 "$dir/time.txt")
  read -r row_commit row_date status < "$dir/commit.txt"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')
  peak=$((rss_kb / 1024))
  total=$(awk -v t="$total" -v w="$wall" 'BEGIN { printf "%.2f", t + w }')
  if [ "$status" -ne 0 ]; then
    result="FAILED (exit $status): see $dir/log.txt"
  else
    result=$(tail -1 "$dir/log.txt" | sed 's/|/\\|/g')
  fi
  where=$(cat "$dir/where.txt" 2>/dev/null || true)
  printf '| `%s` | %.0f | %.0f | %d | %s | %s | %s %s |\n' "$name" "$wall" "$cpu" "$peak" "$where" "$result" "$row_commit" "$row_date" >> "$table"
  printf ',\n  "%s_wall_seconds": %s,\n  "%s_cpu_seconds": %s,\n  "%s_peak_mb": %s' "$name" "$wall" "$name" "$cpu" "$name" "$peak" >> "$json"
done
printf ',\n  "examples": %s,\n  "total_wall_seconds": %s\n}\n' "$count" "$total" >> "$json"
printf '| **total (%s examples)** | %.0f | | | | on %s (%s cores), seed %s | |\n' "$count" "$total" "$cpu_model" "$cores" "$seed" >> "$table"
mv "$json" "$out/summary.json"
mv "$table" "$out/summary.md"
cat "$out/summary.md"
echo "course: $count examples in $(printf '%.0f' "$total") s wall; summary in $out/summary.md and $out/summary.json"
if [ ${#failed[@]} -gt 0 ]; then
  echo "course: failed: ${failed[*]}" >&2
  exit 1
fi
