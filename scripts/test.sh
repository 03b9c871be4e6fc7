#!/usr/bin/env bash
# Installs what is missing and runs every test: formatting, lints, core and shell tests, the
# generated TypeScript bindings, UI type check and unit tests, the real keyring, and the real app
# window end to end; then builds the .deb from a release build, installs it, and drives the
# installed app. One debug build serves the tests before the installer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
source scripts/paths.sh
export CARGO_TERM_COLOR=never
started=$SECONDS

step() { echo; echo "== $* ($((SECONDS - started)) s)"; }

step "rustfmt"
cargo fmt --all --check

step "UI: build (the Rust shell embeds it)"
(cd ui && npm run build)

step "Rust: unit and integration tests (also regenerates the TypeScript bindings)"
cargo test --workspace

step "Saving into a full disk and a read-only folder (a tmpfs and a bind mount; needs root)"
# --workspace (the only full_disk is the core's) keeps the features of the build above, so
# nothing is compiled again.
cargo test --workspace --test full_disk -- --ignored

step "TypeScript bindings and the capability are up to date"
if ! git diff --exit-code --stat -- ui/src/lib/bindings src-tauri/capabilities \
  || [[ -n "$(git ls-files --others --exclude-standard -- ui/src/lib/bindings src-tauri/capabilities)" ]]; then
  echo "The generated files in ui/src/lib/bindings or src-tauri/capabilities differ from the Rust: run cargo test and commit them." >&2
  exit 1
fi

step "UI: type check and unit tests"
(cd ui && npm run check && npm test)

step "The core's shape: no import circle, each table's SQL in its owner"
python3 scripts/check-core.py

step "clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "The core builds without Tauri"
# Cargo answers "did not match any packages" when tauri is nowhere in the core's graph; anything
# else (a tree, or another error) fails this step.
tree=$(cargo tree -p aanmelder-core -i tauri 2>&1 || true)
if ! grep -q "did not match any packages" <<<"$tree"; then
  echo "aanmelder-core must not depend on tauri:" >&2
  echo "$tree" >&2
  exit 1
fi
echo "cargo tree -p aanmelder-core -i tauri: nothing"

step "Windows: the app compiles for Windows (cargo check; the installer is built on Windows)"
# The GNU target, which a Linux machine can check with MinGW: it compiles every cfg(windows)
# path, SQLCipher with its own OpenSSL among them. The NSIS installer itself is built with the
# MSVC toolchain on Windows (README). A check links nothing, so the C that the build scripts
# compile (OpenSSL, SQLCipher) needs no optimising: at -O0 OpenSSL takes about 490 s here
# instead of 760 s, most of this step on a clean machine.
if rustup target list --installed | grep -q '^x86_64-pc-windows-gnu$'; then
  CFLAGS_x86_64_pc_windows_gnu=-O0 cargo check --target x86_64-pc-windows-gnu -p aanmelder
else
  echo "NOT CHECKED: the x86_64-pc-windows-gnu target is not installed (rustup could not fetch it)."
fi

step "Build the app"
cargo build -p aanmelder

step "Real keyring and real window (gnome-keyring, Xvfb, tauri-driver)"
# Only these ignored tests: others (like the crash test's child) are not meant to run alone.
# Every window test, selected by name within the workspace: `-p aanmelder-e2e` would resolve
# the dependencies' features for that crate alone and build them all again (about 150 s on a
# clean machine), where `--workspace` reuses what `cargo test --workspace` built.
window_tests=""
for file in tests/tests/*.rs; do window_tests+=" --test $(basename "$file" .rs)"; done
export window_tests
bash scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x900x24" bash -c '
  cargo test --workspace --test keyring -- --ignored &&
  cargo test --workspace $window_tests -- --ignored --test-threads=1 \
    --skip the_installed_app --skip startup_figures'

step "Installer: the .deb, built by the Tauri CLI from a release build"
ui/node_modules/.bin/tauri build --bundles deb
# This version's package by name: a target folder kept across a version change holds the old
# one too.
version=$(python3 -c 'import json; print(json.load(open("src-tauri/tauri.conf.json"))["version"])')
deb=$(realpath "target/release/bundle/deb/Aanmelder_${version}_amd64.deb")
python3 scripts/check-deb.py contents "$deb"

step "Installer: dpkg -i, and its Depends against every library the installed app loads"
dpkg -i "$deb"
python3 scripts/check-deb.py depends "$deb"

step "The installed app in the real window, and its start-up figures (a figure is not a test)"
AANMELDER_APP=/usr/bin/aanmelder AANMELDER_DEB="$deb" \
  bash scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x900x24" bash -c '
  cargo test --workspace --test installed -- --ignored &&
  cargo test --workspace --test startup -- --ignored --nocapture'

step "Benchmarks (they print figures; a figure is not a test)"
cargo bench -p aanmelder-core --bench package --bench outbox --bench report

step "All tests passed"
