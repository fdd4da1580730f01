#!/usr/bin/env bash
# Runs a command with Node 24 first on PATH (see node24.sh): `bash scripts/with-node24.sh node x.ts`.
# npm scripts go through it so that `npm start` and `npm test` work on a machine whose own node is
# older than the project's.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/node24.sh"
exec "$@"
