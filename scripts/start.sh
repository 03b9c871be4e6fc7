#!/usr/bin/env bash
# Installs what is missing, builds Aanmelder (a release build, as the worker gets it) and starts
# it. To install it instead: build the .deb as the test command does and `dpkg -i` it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/paths.sh

if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
  echo "Geen grafische sessie gevonden (DISPLAY en WAYLAND_DISPLAY zijn leeg)." >&2
  echo "Start Aanmelder vanuit een bureaubladsessie." >&2
  exit 1
fi

(cd ui && npm run build)
cargo build --release -p aanmelder
exec target/release/aanmelder
