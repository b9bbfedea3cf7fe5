#!/usr/bin/env bash
# Runs a command and hands the last line of its stdout, as variable NAME, to the following steps of a
# GitHub Actions job (appended to $GITHUB_ENV). Outside Actions it prints `export NAME=...` for eval.
# The CI workflow uses it for the scripts that print a path, like .ci/run's KUBECONFIG="$(hack/cluster.sh up)".
#   hack/ci-export.sh NAME COMMAND [ARGS...]     e.g. hack/ci-export.sh KUBECONFIG hack/kind-up.sh
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: hack/ci-export.sh NAME COMMAND [ARGS...]" >&2; exit 2; }
name="$1"
shift
[[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || { echo "[ci-export] not a variable name: $name" >&2; exit 2; }
value="$("$@" | tail -n 1)"
[ -n "$value" ] || { echo "[ci-export] $* printed nothing to export as $name" >&2; exit 1; }
if [ -n "${GITHUB_ENV:-}" ]; then
  printf '%s=%s\n' "$name" "$value" >>"$GITHUB_ENV"
  echo "[ci-export] $name=$value (for the following steps)" >&2
else
  printf 'export %s=%q\n' "$name" "$value"
fi
