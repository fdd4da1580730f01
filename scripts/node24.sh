# shellcheck shell=bash
# Source this file (`. scripts/node24.sh`) to put a Node.js 24 first on PATH.
#
# The project targets Node 24 LTS (engines >=22.12). Machines that still carry an older node get
# the `node@24` package from the npm registry installed into a cache outside the repository; the
# machine's global node is never touched. When the current node is already new enough, nothing
# happens.
node24_cache="${BILLING_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/billing-server/node24}"

node24__new_enough() {
  # True when `node` on PATH is >= 22.12.
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)' 2>/dev/null
}

if ! node24__new_enough; then
  node24_bin="$node24_cache/node_modules/node/bin"
  if [ ! -x "$node24_bin/node" ]; then
    mkdir -p "$node24_cache"
    echo "node24.sh: installing node@24 from the npm registry into $node24_cache" >&2
    # flock: two shells starting at once must not install into the same folder together.
    (
      flock 9
      [ -x "$node24_bin/node" ] ||
        npm install --prefix "$node24_cache" --no-save --no-package-lock --no-audit --no-fund \
          --loglevel=error node@24 >&2
    ) 9>"$node24_cache/.lock"
  fi
  if [ -x "$node24_bin/node" ]; then
    export PATH="$node24_bin:$PATH"
    hash -r 2>/dev/null || true
  else
    echo "node24.sh: could not install node@24; staying on $(node -v 2>/dev/null || echo 'no node')" >&2
  fi
  unset node24_bin
fi
unset node24_cache
unset -f node24__new_enough
