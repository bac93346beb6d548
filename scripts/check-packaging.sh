#!/usr/bin/env bash
# Packaging check: packs every public package, installs the tarballs into
# temporary projects outside the repository (no workspace links), and runs
# them as a user would: a plain-node ESM agent and a CommonJS one against the
# embedded store and against a server URL, a strict TypeScript consumer
# (skipLibCheck off), publint and attw on each tarball, and the installed
# CLI's demo. Prints the tarball and install sizes (docs/packaging.md).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
FIXTURES=$REPO/scripts/packaging
WORK=$(mktemp -d "${TMPDIR:-/tmp}/agenttrace-packaging.XXXXXX")
BRIDGE_PID=
cleanup() {
  if [ -n "$BRIDGE_PID" ]; then kill "$BRIDGE_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
NPM_INSTALL=(npm install --no-audit --no-fund --loglevel=error)
PACKAGES=(sdk clickhouse-exporter query integrations cli)

step() { printf '\n== %s\n' "$*"; }
size() { du -sh --apparent-size "$1" | cut -f1; }

step "pack (each package builds in prepack)"
mkdir -p "$WORK/tarballs"
for p in "${PACKAGES[@]}"; do
  (cd "packages/$p" && npm pack --silent --pack-destination "$WORK/tarballs" >/dev/null)
done
TGZ=$WORK/tarballs
sdk=$TGZ/agenttrace-sdk-0.1.0.tgz
exporter=$TGZ/agenttrace-clickhouse-exporter-0.1.0.tgz
query=$TGZ/agenttrace-query-0.1.0.tgz
integrations=$TGZ/agenttrace-integrations-0.1.0.tgz
cli=$TGZ/agenttrace-cli-0.1.0.tgz
for t in "$TGZ"/*.tgz; do
  if tar -tzf "$t" | grep -E '(^|/)test/|\.test\.' >/dev/null; then
    echo "$(basename "$t") ships tests" >&2
    exit 1
  fi
  printf '%-45s %8s bytes, %s files\n' "$(basename "$t")" "$(stat -c %s "$t")" "$(tar -tzf "$t" | wc -l)"
done

step "publint and attw on each tarball"
for t in "$TGZ"/*.tgz; do
  npx --no-install publint run --strict "$t" | tail -n 1
  # node10 resolution (TypeScript's deprecated moduleResolution "node") cannot
  # see subpath exports; the node16 profile checks node16 CJS/ESM and bundler.
  npx --no-install attw --profile node16 --format ascii "$t" >"$WORK/attw.txt" || {
    cat "$WORK/attw.txt"
    exit 1
  }
  echo "attw $(basename "$t"): no problems"
done

# A fresh project with the fixtures copied in: they must resolve the
# packages from its node_modules, not from the repository's.
project() {
  mkdir -p "$WORK/$1"
  cp "$FIXTURES"/agent.mjs "$FIXTURES"/agent.cjs "$FIXTURES"/no-chdb.mjs "$WORK/$1/"
  cp "$FIXTURES"/consumer.ts "$FIXTURES"/consumer.cts "$FIXTURES"/consumer-langchain.ts "$WORK/$1/"
  cp "$FIXTURES"/tsconfig.consumer.json "$WORK/$1/tsconfig.json"
  cp "$FIXTURES"/tsconfig.langchain.json "$WORK/$1/"
  (cd "$WORK/$1" && npm init -y >/dev/null && npm pkg set type=module >/dev/null)
}

step "server-only install: sdk + exporter, OTel JS 2.x, no chdb"
project server
(
  cd "$WORK/server"
  "${NPM_INSTALL[@]}" "$sdk" "$exporter" "$query" @opentelemetry/api@^1.9 \
    @opentelemetry/core@^2.12 @opentelemetry/sdk-trace@^2.12 @opentelemetry/resources@^2.12 \
    @opentelemetry/context-async-hooks@^2.12
  test ! -e node_modules/chdb || { echo "chdb installed on a server-only install" >&2; exit 1; }
  cores=$(npm ls @opentelemetry/core --all --parseable | sort -u | wc -l)
  test "$cores" = 1 || { npm ls @opentelemetry/core --all; exit 1; }
  echo "install size (sdk + exporter + query, no chdb): $(size node_modules)"
  node no-chdb.mjs "$WORK/server/store"
)
# the ClickHouse HTTP endpoint: chDB from this repository behind the tests' bridge
# (tsx itself, not npx, so that $! is the process to stop: tsx forwards SIGTERM)
exec 3< <(cd "$REPO" && exec node_modules/.bin/tsx "$FIXTURES/serve-bridge.ts" "$WORK/bridge-store")
BRIDGE_PID=$!
read -r -t 60 BRIDGE_URL <&3
echo "bridge on $BRIDGE_URL"
(
  cd "$WORK/server"
  AGENTTRACE_CLICKHOUSE_URL=$BRIDGE_URL node agent.mjs
  AGENTTRACE_CLICKHOUSE_URL=$BRIDGE_URL node agent.cjs
)
kill "$BRIDGE_PID"
wait "$BRIDGE_PID" 2>/dev/null || true
BRIDGE_PID=

step "embedded install: every package + chdb, OTel JS 3.x (the newest the ranges allow)"
project embedded
(
  cd "$WORK/embedded"
  # an application on OTel JS 3.x, as @opentelemetry/sdk-node 0.30x brings it
  "${NPM_INSTALL[@]}" "$sdk" "$exporter" "$query" "$integrations" "$cli" chdb@^3.4 \
    @opentelemetry/api@^1.10 @opentelemetry/core@^3 @opentelemetry/sdk-trace@^3 \
    @opentelemetry/resources@^3 @opentelemetry/context-async-hooks@^3 @langchain/core@^1 \
    typescript@~5.9.3 @types/node@^20
  cores=$(npm ls @opentelemetry/core --all --parseable | sort -u | wc -l)
  test "$cores" = 1 || { npm ls @opentelemetry/core --all; exit 1; }
  echo "OTel: $(npm ls @opentelemetry/core --all | grep -o 'core@[0-9.]*' | sort -u | tr '\n' ' ')"
  echo "install size (every package + chdb + typescript + @langchain/core): $(size node_modules)"
  echo "of which chdb and its native library: $(du -shc --apparent-size node_modules/chdb node_modules/@chdb | tail -n 1 | cut -f1)"
  node agent.mjs "$WORK/embedded/esm-store"
  node agent.cjs "$WORK/embedded/cjs-store"
  npx --no-install tsc -p tsconfig.json
  npx --no-install tsc -p tsconfig.langchain.json
  echo "strict TypeScript consumer (skipLibCheck: false): no errors"
  npx --no-install agenttrace --path "$WORK/embedded/demo-store" demo >"$WORK/demo.txt"
  grep -q 'support_agent' "$WORK/demo.txt" || { cat "$WORK/demo.txt"; exit 1; }
  echo "installed CLI: agenttrace demo ran"
)

step "CLI install on its own"
project cli
(
  cd "$WORK/cli"
  "${NPM_INSTALL[@]}" "$cli" "$sdk" "$exporter" "$query"
  echo "install size (the CLI, with chdb): $(size node_modules)"
  npx --no-install agenttrace --help >/dev/null
)
echo
echo "packaging check: passed"
