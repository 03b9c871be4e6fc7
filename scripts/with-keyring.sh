#!/usr/bin/env bash
# Runs a command in a private D-Bus session with a fresh, unlocked gnome-keyring, so tests use a
# real Secret Service without touching the keyring of whoever runs them.
set -euo pipefail

if [[ -z "${AANMELDER_KEYRING_SESSION:-}" ]]; then
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  mkdir -p "$scratch/data" "$scratch/run"
  chmod 700 "$scratch/run"
  AANMELDER_KEYRING_SESSION=1 XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/run" \
    dbus-run-session -- "$0" "$@"
  exit
fi

echo -n "aanmelder-test" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
for _ in $(seq 50); do
  secret-tool search --all service be.kindengezin.aanmelder.probe >/dev/null 2>&1 && break
  sleep 0.1
done
"$@"
