#!/usr/bin/env bash
# `npm run load`: installs artillery (and vega, vega-lite for the ramp's chart) for the load scenarios on
# first use (test/load, kept apart from the project's own dependencies: they are large and only needed
# here), then seeds, serves and runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x test/load/node_modules/.bin/artillery ] || [ ! -f test/load/node_modules/vega-lite/package.json ]; then
  echo "load: installing artillery 2.0.21, vega and vega-lite into test/load (first run only)" >&2
  # Its Playwright engine would try to download browsers, which these machines cannot do and we do not use.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix test/load --no-audit --no-fund >&2
fi
npm run build --silent
exec node --enable-source-maps dist/test/load/run.js "$@"
