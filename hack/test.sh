#!/usr/bin/env bash
# `npm test`: on a fresh clone as on a warm machine, first what the suite needs (each step installs or
# starts only what is missing, with the scripts .ci/run uses, and takes seconds when nothing is), then
# typecheck, lint and every Jest test (unit and end-to-end), ending with one summary line
# "Tests: N passed, N failed" that CI reads. Extra arguments go to Jest.
#   npm dependencies (hack/deps.sh), shellcheck and chromium (hack/tools.sh), the Docker engine and the
#   local images (hack/docker.sh up, hack/images.sh), the control plane (hack/cluster.sh up --real-node,
#   unless KUBECONFIG names a cluster already), the PostgreSQL server of the history store's tests
#   (hack/postgres.sh up)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
say() { printf '\033[1m[test]\033[0m %s\n' "$*" >&2; }
hack/deps.sh
export PATH="$PWD/node_modules/.bin:$PATH" # tsc, eslint, prettier when run as hack/test.sh, not npm test
hack/tools.sh
hack/docker.sh up
hack/images.sh
hack/postgres.sh up >/dev/null
if [ -z "${KUBECONFIG:-}" ]; then
  say "starting the local control plane (the first run builds it from Go modules; later runs take seconds)"
  KUBECONFIG="$(hack/cluster.sh up --real-node)"
fi
export KUBECONFIG
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
