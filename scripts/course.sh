#!/usr/bin/env bash
# The course's bill: runs every lecture example's full mode (seed 42) one after another, as a student would, and
# writes what each cost — wall seconds, CPU seconds, peak resident memory — with where its time went (its profile's
# largest sections) and its result (the example's last line).
#
#   scripts/course.sh [--fast] [--only A,B,...] [--seed N] [--out DIR]
#
# Output (DIR, default runs/course): summary.md (the table), summary.json (<Example>_wall_seconds, _cpu_seconds,
# _peak_mb for each example, total_wall_seconds, and the machine), and each example's own run folder DIR/<Example>
# (metrics.json, profile.json, figures, log.txt). Run it on an idle machine: the numbers are the machine's.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

out=runs/course
seed=42
fast=()
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --fast) fast=(--fast) ;;
    --only) only=${2:?--only needs a comma-separated list of examples}; shift ;;
    --seed) seed=${2:?--seed needs a number}; shift ;;
    --out) out=${2:?--out needs a folder}; shift ;;
    *) echo "usage: $0 [--fast] [--only A,B,...] [--seed N] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done
[ -x /usr/bin/time ] || { echo "course: /usr/bin/time is missing (Debian: apt-get install time); it measures CPU time and peak memory" >&2; exit 2; }

# The lectures in the course's order (the README's example table).
examples=(QuickStart Autograd Backprop Activations UniversalApproximation MlpMnist LearnFilters CnnMnist ResNet UNet
  AttentionKernel VitMnist GptFiniteState Autoencoders VqVae CoinGan GanMnist Diffusion NeuralOde ReinforcementLearning
  XorGnn Molecules TransformerAsGnn OptimizerComparison BatchNormXor Regularization Interpretability TransferLearning
  Adversarial)
if [ -n "$only" ]; then
  IFS=, read -r -a examples <<< "$only"
fi
for name in "${examples[@]}"; do
  [ -f "examples/$name/$name.csproj" ] || { echo "course: no example '$name' (examples/$name/$name.csproj)" >&2; exit 2; }
done

# Data first (downloads and checksums are not the examples' cost), then one build of everything.
scripts/fetch-data.sh
mkdir -p "$out"
echo "course: building ${#examples[@]} examples"
for name in "${examples[@]}"; do
  dotnet build "examples/$name" -v quiet -nologo > "$out/build.log" 2>&1 || { cat "$out/build.log" >&2; exit 1; }
done

cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
cores=$(nproc)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
json="$out/summary.json.tmp"
table="$out/summary.md.tmp"
{
  echo "| example | wall s | CPU s | peak MB | where the time went (self time) | result |"
  echo "|---|---:|---:|---:|---|---|"
} > "$table"
printf '{\n  "commit": "%s",\n  "cpu": "%s",\n  "cores": %s,\n  "seed": %s,\n  "fast": %s' \
  "$commit" "$cpu_model" "$cores" "$seed" "$([ ${#fast[@]} -gt 0 ] && echo true || echo false)" > "$json"

total=0
failed=()
i=0
for name in "${examples[@]}"; do
  i=$((i + 1))
  dir="$out/$name"
  rm -rf "$dir" && mkdir -p "$dir"
  echo "course: [$i/${#examples[@]}] $name ..."
  app="examples/$name/bin/Debug/net10.0/$name"
  status=0
  /usr/bin/time -f "%e %U %S %M" -o "$dir/time.txt" "$app" --seed "$seed" "${fast[@]}" --out "$dir" > "$dir/log.txt" 2>&1 || status=$?
  read -r wall user sys rss_kb < <(tail -1 "$dir/time.txt")
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')
  peak=$(( rss_kb / 1024 ))
  total=$(awk -v t="$total" -v w="$wall" 'BEGIN { printf "%.2f", t + w }')
  if [ "$status" -ne 0 ]; then
    failed+=("$name")
    result="FAILED (exit $status): see $dir/log.txt"
  else
    result=$(tail -1 "$dir/log.txt" | sed 's/|/\\|/g')
  fi
  # The three largest self times of the run's profile ("fit/step/backward 41 %").
  where=""
  if [ -f "$dir/profile.txt" ]; then
    where=$(sed -n '2,4p' "$dir/profile.txt" | awk '{ pct = $(NF-1); $NF = ""; $(NF-1) = ""; $(NF-2) = ""; $(NF-3) = ""; $(NF-4) = ""; sub(/ +$/, ""); sub(/^ +/, ""); printf "%s%s %s %%", sep, $0, pct; sep = ", " }')
  fi
  printf '| `%s` | %.0f | %.0f | %d | %s | %s |\n' "$name" "$wall" "$cpu" "$peak" "$where" "$result" >> "$table"
  printf ',\n  "%s_wall_seconds": %s,\n  "%s_cpu_seconds": %s,\n  "%s_peak_mb": %s' "$name" "$wall" "$name" "$cpu" "$name" "$peak" >> "$json"
  echo "course: [$i/${#examples[@]}] $name: $(printf '%.0f' "$wall") s wall, $cpu s CPU, $peak MB peak (total so far $(printf '%.0f' "$total") s)"
done
printf ',\n  "total_wall_seconds": %s\n}\n' "$total" >> "$json"
printf '| **total** | %.0f | | | | %s on %s (%s cores), seed %s, commit %s |\n' "$total" "$(date -u +%Y-%m-%d)" "$cpu_model" "$cores" "$seed" "$commit" >> "$table"
mv "$json" "$out/summary.json"
mv "$table" "$out/summary.md"
cat "$out/summary.md"
echo "course: ${#examples[@]} examples in $(printf '%.0f' "$total") s wall; summary in $out/summary.md and $out/summary.json"
if [ ${#failed[@]} -gt 0 ]; then
  echo "course: failed: ${failed[*]}" >&2
  exit 1
fi
