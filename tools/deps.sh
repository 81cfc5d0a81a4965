#!/usr/bin/env bash
# deps.sh - install the Debian 12 packages the build, the local stack and
# the test suite need; a no-op when they are all present.
#   tools/deps.sh            everything (build + tests + checks)
#   tools/deps.sh --runtime  only what building and running the stack needs
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config librdkafka-dev libmicrohttpd-dev
  libjansson-dev libcurl4-openssl-dev libcmocka-dev kcat curl ca-certificates)
test_pkgs=(clang clang-format clang-tidy cppcheck libclang-rt-14-dev valgrind
  wrk python3 python3-jsonschema python3-yaml shellcheck procps)

pkgs=("${build_pkgs[@]}")
if [ "${1:-}" != "--runtime" ]; then
  pkgs+=("${test_pkgs[@]}")
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
