#!/usr/bin/env bash
# Proves the packages work the way a user consumes them: packs TorchBinding, TorchBinding.Models,
# TorchBinding.Analysis and TorchBinding.Plots into a temporary feed (and the TorchBinding.Cli tool, whose package is
# checked for its readme and the libraries it carries), then, in fresh console apps outside the repository (no
# project reference anywhere), adds them with `dotnet add package` from that feed (third-party packages come from
# the machine's usual NuGet sources) and runs four consumers:
#   1. TorchBinding + libtorch-cpu-linux-x64: the first statement is a plain TorchSharp call (the package's start-up
#      hook must have made libtorch loadable before Main), then one epoch on the digits, then TorchRuntime.Describe();
#   2. the same with TorchBinding.Models (its Mlp and the course CNN);
#   3. an external-libtorch build: TorchBinding.Models without any libtorch package (no natives in the app), run
#      with TORCHBINDING_LIBTORCH pointing at a libtorch 2.10 folder (the libtorch-cpu natives in the NuGet cache);
#   4. TorchBinding.Analysis + libtorch-cpu-linux-x64: a gradient attribution of a linear classifier, which must
#      equal the classifier's weight rows.
# The packages get a unique prerelease version (VERSION-check.TIMESTAMP), so a restore can never take a stale copy
# from the NuGet cache; those versions are removed from the cache afterwards.
#
#   scripts/consumer-check.sh                          # builds and packs Release
#   scripts/consumer-check.sh -c Debug --no-build      # packs what is already built (the tests do this)
# Last line: "consumer-check: 4 consumers passed" (exit 0), or what failed (exit 1).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
configuration=Release
build=yes
while [ $# -gt 0 ]; do
  case "$1" in
    -c|--configuration) configuration="$2"; shift 2 ;;
    --no-build) build=no; shift ;;
    *) echo "usage: scripts/consumer-check.sh [-c Release|Debug] [--no-build]" >&2; exit 2 ;;
  esac
done

start=$(date +%s)
step() { echo "== [$(( $(date +%s) - start )) s] $*"; }
fail() { echo "consumer-check: FAILED: $*"; exit 1; }

work=$(mktemp -d /tmp/torchbinding-consumer-XXXXXX)
case "$work" in "$root"/*) fail "the temporary folder $work is inside the repository" ;; esac
feed="$work/feed"
packages=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: *//')
base_version=$(dotnet msbuild "$root/src/TorchBinding/TorchBinding.csproj" -nologo -getProperty:Version)
version="$base_version-check.$(date +%s)"
cleanup() {
  rm -rf "$work"
  for id in torchbinding torchbinding.models torchbinding.analysis torchbinding.plots; do
    rm -rf "${packages%/}/$id/$version"
    rmdir "${packages%/}/$id" 2>/dev/null || true   # only when no other version is there
  done
}
trap cleanup EXIT

step "pack $version ($configuration, build: $build) into $feed"
pack_args=(-c "$configuration" -o "$feed" -p:Version="$version" -nologo -v quiet)
[ "$build" = no ] && pack_args+=(--no-build)
for project in TorchBinding TorchBinding.Models TorchBinding.Analysis TorchBinding.Plots TorchBinding.Cli; do
  dotnet pack "$root/src/$project/$project.csproj" "${pack_args[@]}" || fail "dotnet pack src/$project"
done
for id in TorchBinding TorchBinding.Models TorchBinding.Analysis TorchBinding.Plots; do
  nupkg="$feed/$id.$version.nupkg"
  [ -f "$nupkg" ] || fail "$nupkg was not written"
  [ -f "$feed/$id.$version.snupkg" ] || fail "no symbols package for $id"
  listing=$(unzip -l "$nupkg")
  for expected in README.md "lib/net10.0/$id.dll" "lib/net10.0/$id.xml"; do
    grep -q " $expected\$" <<<"$listing" || fail "$id's package has no $expected"
  done
  nuspec=$(unzip -p "$nupkg" "$id.nuspec")
  for expected in '<license type="expression">MIT</license>' '<readme>README.md</readme>' '<repository type="git"'; do
    grep -qF "$expected" <<<"$nuspec" || fail "$id's nuspec lacks $expected"
  done
done
unzip -l "$feed/TorchBinding.$version.nupkg" | grep -q "buildTransitive/TorchBinding.targets" || fail "TorchBinding's package lacks its start-up hook (buildTransitive)"
for id in TorchBinding TorchBinding.Models TorchBinding.Analysis TorchBinding.Plots; do
  unzip -p "$feed/$id.$version.nupkg" README.md | head -1 | grep -qx "# $id" || fail "$id's package carries another project's readme"
done
# The tool is checked, not installed (its package carries the linux-x64 natives, about 210 MB): its own readme, and
# every library it runs on, the examples' harness (not a package of its own) included.
cli="$feed/TorchBinding.Cli.$version.nupkg"
[ -f "$cli" ] || fail "$cli was not written"
listing=$(unzip -l "$cli")
for expected in README.md tools/net10.0/any/TorchBinding.Cli.dll tools/net10.0/any/TorchBinding.dll tools/net10.0/any/TorchBinding.Models.dll \
    tools/net10.0/any/TorchBinding.Plots.dll tools/net10.0/any/TorchBinding.Experiments.dll; do
  grep -q " $expected\$" <<<"$listing" || fail "the tool's package has no $expected"
done
unzip -p "$cli" README.md | head -1 | grep -qx "# TorchBinding.Cli" || fail "the tool's package carries another project's readme"
rm -f "$cli" "${cli%.nupkg}.snupkg"

# The feed serves TorchBinding*; everything else comes from the machine's own sources (read here, not named).
mapfile -t sources < <(dotnet nuget list source --format detailed | sed -n 's/^ *[0-9][0-9]*\. *\(.*\) \[Enabled\]$/\1/p')
[ ${#sources[@]} -gt 0 ] || fail "no enabled NuGet source for third-party packages"
{
  echo '<?xml version="1.0" encoding="utf-8"?>'
  echo '<configuration>'
  echo "  <packageSources><add key=\"torchbinding-check\" value=\"$feed\" /></packageSources>"
  echo '  <packageSourceMapping>'
  echo '    <packageSource key="torchbinding-check"><package pattern="TorchBinding" /><package pattern="TorchBinding.*" /></packageSource>'
  for source in "${sources[@]}"; do echo "    <packageSource key=\"$source\"><package pattern=\"*\" /></packageSource>"; done
  echo '  </packageSourceMapping>'
  echo '</configuration>'
} > "$work/nuget.config"

# new_app NAME: a fresh console app in $work/NAME with the given Program.cs (stdin).
new_app() {
  dotnet new console -o "$work/$1" -n "$1" --framework net10.0 --no-restore >/dev/null || fail "dotnet new console $1"
  cat > "$work/$1/Program.cs"
  grep -q ProjectReference "$work/$1/$1.csproj" && fail "$1 has a project reference"
  return 0
}
add_package() { # APP ID [VERSION]
  dotnet add "$work/$1/$1.csproj" package "$2" --version "$3" >"$work/$1.add.log" 2>&1 || { cat "$work/$1.add.log"; fail "dotnet add $1 package $2"; }
}
build_and_run() { # APP [ENV=VALUE...]: builds, runs, and leaves the output in $work/APP.out
  local app=$1; shift
  dotnet build "$work/$app/$app.csproj" -nologo -v quiet >"$work/$app.build.log" 2>&1 || { cat "$work/$app.build.log"; fail "building $app"; }
  env TORCHBINDING_THREADS="${TORCHBINDING_THREADS:-1}" "$@" dotnet "$work/$app/bin/Debug/net10.0/$app.dll" >"$work/$app.out" 2>&1 || { cat "$work/$app.out"; fail "running $app"; }
  cat "$work/$app.out"
}
expect() { # APP TEXT
  grep -qF -- "$2" "$work/$1.out" || fail "$1's output lacks '$2'"
}

step "consumer 1: TorchBinding + libtorch-cpu-linux-x64"
new_app core <<'EOF'
// The first statement is plain TorchSharp: TorchBinding's start-up hook (from the package) runs before Main.
var six = TorchSharp.torch.ones(2, 3).sum().item<float>();
Console.WriteLine($"torch.ones(2, 3).sum() = {six}");

var (train, test) = TorchBinding.Data.DatasetSplits.TrainTest(TorchBinding.Data.Digits.Load(), 0.2, seed: 0);
var model = TorchSharp.torch.nn.Sequential(("fc1", TorchSharp.torch.nn.Linear(64, 128)), ("relu", TorchSharp.torch.nn.ReLU()), ("fc2", TorchSharp.torch.nn.Linear(128, 10)));
var trainer = new TorchBinding.Training.Trainer(model, TorchBinding.Losses.LossCatalog.Log.Create(),
    TorchBinding.Training.Optim.Adam(1e-3),
    new TorchBinding.Training.TrainerOptions { Epochs = 1, BatchSize = 32, Seed = 0, Metrics = [() => new TorchBinding.Metrics.Accuracy()] });
var history = trainer.Fit(train, test);
Console.WriteLine($"one epoch on the digits: validation accuracy {history.Last("val_accuracy"):P1}");
Console.WriteLine(TorchBinding.Runtime.TorchRuntime.Describe());
EOF
add_package core TorchBinding "$version"
add_package core libtorch-cpu-linux-x64 2.10.0
build_and_run core
expect core "torch.ones(2, 3).sum() = 6"
expect core "one epoch on the digits: validation accuracy"
expect core "libtorch         2.10.0 from libtorch-cpu package"
accuracy=$(sed -n 's/.*validation accuracy \([0-9.]*\) *%.*/\1/p' "$work/core.out")
# One epoch of 45 Adam steps: about 90 % measured; a broken package would not train at all (10 % is chance).
awk -v a="$accuracy" 'BEGIN { exit !(a > 50) }' || fail "one epoch reached only $accuracy % on the digits"

models_program=$(cat <<'EOF'
using TorchBinding.Models;
using TorchSharp;

var six = torch.ones(2, 3).sum().item<float>();
Console.WriteLine($"torch.ones(2, 3).sum() = {six}");
var cnn = new Cnn();                                              // the course's LeNet-style CNN
using (var logits = cnn.call(torch.zeros(2, 1, 28, 28)))
    Console.WriteLine($"course CNN: {cnn.ParameterCount()} parameters, logits [{string.Join(", ", logits.shape)}]");

var (train, test) = TorchBinding.Data.DatasetSplits.TrainTest(TorchBinding.Data.Digits.Load(), 0.2, seed: 0);
var mlp = ModelCatalog.Create("mlp", new ModelRequest([64], 10));
var trainer = new TorchBinding.Training.Trainer(mlp, TorchBinding.Losses.LossCatalog.Log.Create(),
    TorchBinding.Training.Optim.Adam(1e-3),
    new TorchBinding.Training.TrainerOptions { Epochs = 1, BatchSize = 32, Seed = 0, Metrics = [() => new TorchBinding.Metrics.Accuracy()] });
var history = trainer.Fit(train, test);
Console.WriteLine($"one epoch on the digits: validation accuracy {history.Last("val_accuracy"):P1}");
Console.WriteLine(TorchBinding.Runtime.TorchRuntime.Describe());
EOF
)

step "consumer 2: TorchBinding.Models + libtorch-cpu-linux-x64"
new_app models <<<"$models_program"
add_package models TorchBinding.Models "$version"
add_package models libtorch-cpu-linux-x64 2.10.0
build_and_run models
expect models "torch.ones(2, 3).sum() = 6"
expect models "course CNN: 28938 parameters, logits [2, 10]"
expect models "one epoch on the digits: validation accuracy"
expect models "libtorch         2.10.0 from libtorch-cpu package"

step "consumer 3: TorchBinding.Models without libtorch natives, on TORCHBINDING_LIBTORCH"
natives="${packages%/}/libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native"
[ -f "$natives/libtorch_cpu.so" ] || fail "no libtorch 2.10 natives at $natives (consumer 1 restores them)"
new_app external <<<"$models_program"
add_package external TorchBinding.Models "$version"
dotnet build "$work/external/external.csproj" -nologo -v quiet >"$work/external.build.log" 2>&1 || { cat "$work/external.build.log"; fail "building external"; }
if find "$work/external/bin" -name 'libtorch_cpu*' | grep -q .; then fail "the external build carries libtorch natives"; fi
build_and_run external TORCHBINDING_LIBTORCH="$natives"
expect external "torch.ones(2, 3).sum() = 6"
expect external "course CNN: 28938 parameters, logits [2, 10]"
expect external "natives folder   $natives"

step "consumer 4: TorchBinding.Analysis + libtorch-cpu-linux-x64"
new_app analysis <<'EOF'
using TorchBinding.Analysis.Interpretability;
using TorchSharp;
using static TorchSharp.torch;

// A linear classifier of 2x3 images: the gradient of class c's score with respect to the input is its weight row c.
manual_seed(1);
var fc = nn.Linear(6, 3);
var model = nn.Sequential(("flatten", nn.Flatten()), ("fc", fc));
var images = rand(4, 1, 2, 3);
var targets = tensor(new long[] { 0, 2, 1, 2 });
var saliency = new Saliency().Attribute(model, images, targets);
var weights = fc.weight!.detach().index_select(0, targets).view(4, 1, 2, 3);
Console.WriteLine($"gradient attribution [{string.Join(", ", saliency.shape)}], the weight rows: {saliency.allclose(weights, rtol: 1e-5, atol: 1e-6)}");
EOF
add_package analysis TorchBinding.Analysis "$version"
add_package analysis libtorch-cpu-linux-x64 2.10.0
build_and_run analysis
expect analysis "gradient attribution [4, 1, 2, 3], the weight rows: True"

step "done"
echo "consumer-check: 4 consumers passed ($version, packages from a local feed, apps in $work)"
