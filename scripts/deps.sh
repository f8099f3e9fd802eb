#!/usr/bin/env bash
# Installs the Debian 12 packages alertllm needs to build, test and run its demo, when missing.
# Idempotent and quiet: does nothing (and needs no network) when everything is installed.
# Usage: scripts/deps.sh [extra-package ...]
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  libcurl4-openssl-dev nlohmann-json3-dev prometheus-cpp-dev libspdlog-dev
  prometheus prometheus-alertmanager
  libgtest-dev libgmock-dev libbenchmark-dev libcpp-httplib-dev libboost-dev
  libre2-dev libssl-dev openssl
  clang-16 libclang-rt-16-dev
  curl jq
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
((${#missing[@]} == 0)) && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=()
if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
