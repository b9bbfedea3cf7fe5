#!/usr/bin/env bash
# `npm test`: typecheck, lint, then every Jest test (unit and end-to-end), ending with one summary line
# "Tests: N passed, N failed" that CI reads. Extra arguments go to Jest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
hack/node.sh tsc -p tsconfig.json --noEmit
hack/node.sh tsc -p operator/src/dashboard/web/tsconfig.json --noEmit # the front end (DOM types)
hack/node.sh eslint .
hack/node.sh prettier --check . >/dev/null || { hack/node.sh prettier --check .; exit 1; }
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
status=0
hack/node.sh node --experimental-vm-modules node_modules/jest/bin/jest.js --json --outputFile="$report" "$@" || status=$?
# shellcheck disable=SC2016 # JavaScript, not shell
hack/node.sh node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$report" || true
exit "$status"
