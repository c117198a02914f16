#!/usr/bin/env bash
# The test command of the README: fetches the data the tests read (scripts/fetch-data.sh), builds
# everything and runs every test project, then prints
#   tests: N passed, N failed
# counted from the TRX result files (dotnet test's own summary is per project). Exits non-zero on any
# failure, including a build failure. Extra arguments go to dotnet test (e.g. --filter Name~Glibcxx).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
results="$root/TestResults"
rm -rf "$results"

# The real-data tests read MNIST and Fashion-MNIST from the cache; fetch them (once) first.
"$root/scripts/fetch-data.sh" || { echo "tests: 0 passed, 1 failed"; echo "(scripts/fetch-data.sh failed)"; exit 1; }

# Build once (in parallel), then run the test projects one after another: libtorch's OpenMP threads
# spin-wait, so test hosts training models side by side on a 2-core machine slow each other down
# many times over.
status=0
dotnet build TorchBinding.sln -nologo -v quiet || status=$?
if [ "$status" -eq 0 ]; then
  dotnet test TorchBinding.sln --no-build -m:1 --logger trx --results-directory "$results" "$@" || status=$?
fi

passed=0; failed=0; skipped=0
shopt -s nullglob
trx_files=("$results"/*.trx)
for trx in "${trx_files[@]}"; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  value() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
  skipped=$((skipped + $(value notExecuted)))
done
if [ ${#trx_files[@]} -eq 0 ]; then
  echo "no test results were written (the build or the test host failed; see above)"
  failed=$((failed + 1))
fi
[ "$skipped" -gt 0 ] && echo "($skipped test(s) skipped; their reasons are in the log above)"
echo "tests: $passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
