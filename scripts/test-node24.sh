#!/usr/bin/env bash
# Runs test files on Node.js 24 (installed from the npm package node@24 on first use, cached by npm):
# by default those that exercise the runtime — start-up and the embedded store, the realtime gateway
# on uWebSockets.js or its fallback, REST parameters and uploads. Expects a build (npm run build).
#   scripts/test-node24.sh [TEST_FILE...]
set -euo pipefail
cd "$(dirname "$0")/.."
node24=$(npx --yes node@24 -p process.execPath)
echo "test-node24: Node.js $("$node24" --version) ($node24)"
files=("$@")
[ "${#files[@]}" -gt 0 ] || files=(test/startup.test.ts test/uws-binaries.test.ts test/realtime.test.ts test/realtime-faults.test.ts
  test/gateway-polling.test.ts test/camp-clients.test.ts test/params.test.ts test/users.test.ts test/videos.test.ts)
exec "$node24" node_modules/ava/entrypoints/cli.mjs "${files[@]}"
