# shellcheck shell=bash
# Sourced by scripts/npm and .ci/run: puts a Node.js >= 22.18 first on PATH. When the machine's node is
# older (or missing), installs Node 24 from the npm registry (package `node@24`) into .tools/node24.

kw_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [maj, min] = process.versions.node.split(".").map(Number); process.exit(maj > 22 || (maj === 22 && min >= 18) ? 0 : 1)'
}

kw_ensure_node() {
  local root="$1"
  local dir="$root/.tools/node24"
  if kw_node_ok; then
    return 0
  fi
  if [ -x "$dir/node_modules/node/bin/node" ]; then
    export PATH="$dir/node_modules/node/bin:$PATH"
    kw_node_ok && return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "keywarden needs Node.js >= 22.18 (24 LTS recommended) and npm; neither a recent node nor npm was found" >&2
    return 1
  fi
  echo "node $(node --version 2>/dev/null || echo missing) is older than 22.18: installing node@24 from the npm registry into .tools/node24" >&2
  mkdir -p "$dir"
  # The node package's install script places the binary; npm 11 runs it only when allowed here.
  echo '{"name":"keywarden-node24","private":true,"allowScripts":{"node":true}}' >"$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error node@24 >&2
  export PATH="$dir/node_modules/node/bin:$PATH"
  if ! kw_node_ok; then
    echo "installing node@24 did not give a working Node.js >= 22.18" >&2
    return 1
  fi
}

kw_ensure_deps() {
  local root="$1"
  if [ ! -f "$root/node_modules/.package-lock.json" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
