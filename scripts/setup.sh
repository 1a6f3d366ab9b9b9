#!/usr/bin/env bash
# Installs every dependency of Rill from Debian packages (and npm for the
# kafkajs test client). Idempotent: does nothing when all is present.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git clang clang-format clang-tidy
  liburing-dev libmimalloc-dev libdpdk-dev libgtest-dev libgmock-dev libbenchmark-dev
  librdkafka-dev kcat python3-confluent-kafka etcd-server fio iperf3 libcli11-dev
  nodejs npm iproute2 procps python3-matplotlib python3-crc32c python3-kafka
  nlohmann-json3-dev zlib1g-dev liblz4-dev libzstd-dev libsnappy-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# node and npm may come from outside Debian (the machine's own Node.js).
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs/}")
  missing=("${missing[@]/npm/}")
fi
missing=(${missing[@]+"${missing[@]}"})

if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "setup: all Debian packages present"
fi

root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -f "$root/tests/clients/package.json" && ! -d "$root/tests/clients/node_modules/kafkajs" ]]; then
  echo "setup: installing kafkajs with npm"
  (cd "$root/tests/clients" && npm install --no-audit --no-fund --silent)
fi
