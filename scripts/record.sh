#!/usr/bin/env bash
# Records a result: runs one example's full mode and writes docs/results/<Example>.json — its metrics and summary line
# with where they came from: commit, the example's code (its git tree), command line and option values, CPU model,
# cores, threads, libtorch version, wall and CPU seconds, peak memory, date. The README's example table and course
# table are rendered from these files (--readme), and a test checks that they agree and that no result is older than
# its example's code.
#
#   scripts/record.sh [--variant NAME] [--out DIR] [--no-build] [--no-record] <Example> [-- example options...]
#   scripts/record.sh --readme      re-render the README's recorded-results parts from docs/results
#   scripts/record.sh --stale       list results recorded before their example (or the library) last changed
#
# A variant (e.g. --variant long -- --conditional-epochs 10) is recorded as docs/results/<Example>.<variant>.json and
# listed under the example table. Only runs of committed code are recorded: with uncommitted changes under src/ or
# examples/, the run still happens (its folder is kept) but nothing is written to docs/results. The run folder
# (default runs/record/<Example>[.<variant>]) holds log.txt, time.txt, commit.txt and where.txt besides the example's
# own files. Run it on an idle machine: the times are the machine's.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

usage="usage: $0 [--variant NAME] [--out DIR] [--no-build] [--no-record] <Example> [-- example options...] | --readme | --stale"
results=docs/results

render() { dotnet run --project scripts/Results -v quiet -- "$@"; }
case "${1:-}" in
  --readme) render readme README.md "$results"; exit ;;
  --stale) render stale "$results"; exit ;;
esac

variant=""
out=""
build=true
record=true
name=""
while [ $# -gt 0 ]; do
  case "$1" in
    --variant) variant=${2:?--variant needs a name}; shift ;;
    --out) out=${2:?--out needs a folder}; shift ;;
    --no-build) build=false ;;
    --no-record) record=false ;;
    --) shift; break ;;
    -*) echo "$usage" >&2; exit 2 ;;
    *) [ -z "$name" ] || { echo "$usage" >&2; exit 2; }; name=$1 ;;
  esac
  shift
done
[ -n "$name" ] || { echo "$usage" >&2; exit 2; }
[ -f "examples/$name/$name.csproj" ] || { echo "record: no example '$name' (examples/$name/$name.csproj)" >&2; exit 2; }
[[ -z "$variant" || "$variant" =~ ^[a-z0-9-]+$ ]] || { echo "record: --variant '$variant' must be lower-case letters, digits and dashes" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "record: /usr/bin/time is missing (Debian: apt-get install time); it measures CPU time and peak memory" >&2; exit 2; }
for argument in "$@"; do
  [ "$argument" != "--fast" ] || record=false   # the fast mode is CI's, not a result
done
key=$name${variant:+.$variant}
dir=${out:-runs/record/$key}

if [ "$build" = true ]; then
  scripts/fetch-data.sh > /dev/null
  dotnet build "examples/$name" -v quiet -nologo > /tmp/record-build-$$.log 2>&1 || { cat /tmp/record-build-$$.log >&2; rm -f /tmp/record-build-$$.log; exit 1; }
  rm -f /tmp/record-build-$$.log
fi

# What the run is made of, read before it starts (a commit during the run must not be credited with it).
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain --untracked-files=normal -- src examples 2>/dev/null | grep -v '/bin/\|/obj/' || true)
short=${commit:0:7}
[ -z "$dirty" ] || short="$short+changes"
code_tree=$(git rev-parse "HEAD:examples/$name" 2>/dev/null || echo unknown)
library_tree=$(git rev-parse HEAD:src 2>/dev/null || echo unknown)

rm -rf "$dir" && mkdir -p "$dir"
app="examples/$name/bin/Debug/net10.0/$name"
status=0
/usr/bin/time -f "%e %U %S %M" -o "$dir/time.txt" "$app" "$@" --out "$dir" > "$dir/log.txt" 2>&1 || status=$?
echo "$short $(date -u +%Y-%m-%d) $status" > "$dir/commit.txt"
read -r wall user sys rss_kb < <(tail -1 "$dir/time.txt")
cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')
peak=$((rss_kb / 1024))
# The three largest self times of the run's profile ("fit/step/backward 41.2 %"). Columns are separated by two or
# more spaces (a section's name may hold one); the last line is the total.
where=""
if [ -f "$dir/profile.txt" ]; then
  where=$(sed -n '2,$p' "$dir/profile.txt" | grep -v '^  total ' | head -3 | awk '{ n = split($0, f, /  +/); printf "%s%s %s %%", sep, f[2], f[n - 1]; sep = ", " }')
fi
echo "$where" > "$dir/where.txt"
echo "record: $key: $(printf '%.0f' "$wall") s wall, $cpu s CPU, $peak MB peak$([ "$status" -eq 0 ] || echo ", FAILED (exit $status): see $dir/log.txt")"
[ "$status" -eq 0 ] || exit 1

if [ "$record" = false ]; then
  exit 0
fi
if [ -n "$dirty" ]; then
  echo "record: $key not recorded in $results: uncommitted changes under src/ or examples/ (commit them, then record):" >&2
  echo "$dirty" | head -5 >&2
  exit 0
fi
escape() { sed 's/\\/\\\\/g; s/"/\\"/g' <<< "$1"; }
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mkdir -p "$results"
target="$results/$key.json"
{
  printf '{\n'
  printf '  "example": "%s",\n' "$name"
  if [ -n "$variant" ]; then printf '  "variant": "%s",\n' "$variant"; else printf '  "variant": null,\n'; fi
  printf '  "commit": "%s",\n' "$commit"
  printf '  "code_tree": "%s",\n' "$code_tree"
  printf '  "library_tree": "%s",\n' "$library_tree"
  printf '  "date": "%s",\n' "$(date -u +%Y-%m-%d)"
  printf '  "cpu": "%s",\n' "$(escape "$cpu_model")"
  printf '  "cores": %s,\n' "$(nproc)"
  printf '  "wall_seconds": %s,\n' "$wall"
  printf '  "cpu_seconds": %s,\n' "$cpu"
  printf '  "peak_mb": %s,\n' "$peak"
  printf '  "where_the_time_went": "%s",\n' "$(escape "$where")"
  printf '  "provenance": %s,\n' "$(sed 's/^/  /' "$dir/provenance.json" | sed '1s/^  //')"
  printf '  "metrics": %s\n' "$(sed 's/^/  /' "$dir/metrics.json" | sed '1s/^  //')"
  printf '}\n'
} > "$target.tmp"
mv "$target.tmp" "$target"
echo "record: $key recorded in $target (commit $short)"
