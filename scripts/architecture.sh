#!/usr/bin/env bash
# The picture of the house: reads the ProjectReference items of every project under src/, examples/Shared/ and
# benchmarks/ and writes docs/architecture.txt (one line per reference, "A -> B", sorted) and docs/architecture.png
# (drawn with TorchBinding.Plots' GraphDiagram, by the single-file program scripts/architecture.cs). Run it after
# adding a project or a project reference; a test (ArchitectureMapTests) fails while docs/architecture.txt is stale.
#   scripts/architecture.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
dotnet run scripts/architecture.cs -- "$root"
