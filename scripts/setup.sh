#!/usr/bin/env bash
# Installs every dependency of Rill from Debian packages (and npm for the
# kafkajs test client). Idempotent: does nothing when all is present.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git clang clang-format clang-tidy
  liburing-dev libmimalloc-dev libdpdk-dev libgtest-dev libgmock-dev libbenchmark-dev
  librdkafka-dev kcat python3-confluent-kafka etcd-server fio iperf3 libcli11-dev
  nodejs npm iproute2 procps python3-matplotlib python3-crc32c python3-kafka
  nlohmann-json3-dev zlib1g-dev liblz4-dev libzstd-dev libsnappy-dev libcpp-httplib-dev
  libyaml-cpp-dev
)
# Installed without their recommendations: prometheus would bring its node
# exporter, a service nothing here uses; nftables drops a share of the DPDK
# test frames on a bridge (this kernel has no netem).
lean_packages=(prometheus nftables)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# node and npm may come from outside Debian (the machine's own Node.js).
if command -v node >/dev/null && command -v npm >/dev/null; then
  kept=()
  for p in ${missing[@]+"${missing[@]}"}; do
    if [[ $p != nodejs && $p != npm ]]; then kept+=("$p"); fi
  done
  missing=(${kept[@]+"${kept[@]}"})
fi
missing_lean=()
for p in "${lean_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing_lean+=("$p")
  fi
done

if ((${#missing[@]} + ${#missing_lean[@]} > 0)); then
  echo "setup: installing ${missing[*]} ${missing_lean[*]}"
  sudo_cmd=""
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  if ((${#missing[@]} > 0)); then
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if ((${#missing_lean[@]} > 0)); then
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
      "${missing_lean[@]}" >/dev/null
  fi
else
  echo "setup: all Debian packages present"
fi

root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -f "$root/tests/clients/package.json" && ! -d "$root/tests/clients/node_modules/kafkajs" ]]; then
  echo "setup: installing kafkajs with npm"
  (cd "$root/tests/clients" && npm install --no-audit --no-fund --silent)
fi
