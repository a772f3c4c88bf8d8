#!/usr/bin/env bash
# Creates (or reuses) a Python venv for tests/mlflow. Idempotent: pip runs only when the
# requirements file (or the Python behind the venv) changed since the last successful install.
# Prints the venv path on stdout; progress goes to stderr.
#   scripts/mlflow-venv.sh           the official MLflow client (tests/mlflow/requirements.txt)
#   scripts/mlflow-venv.sh signing   the OpenSSF model-signing CLI (requirements-signing.txt),
#                                    kept apart because its protobuf and cryptography pins are
#                                    not the MLflow client's
#   QUIVER_VENV  where the client's venv lives (default: $HOME/.cache/quiver/venv; the signing
#                venv is beside it, with -signing appended)
#   PYTHON       interpreter used to create it (default: python3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="${QUIVER_VENV:-$HOME/.cache/quiver/venv}"
if [[ "${1:-}" == "signing" ]]; then
  req="$here/tests/mlflow/requirements-signing.txt"
  venv="$base-signing"
else
  req="$here/tests/mlflow/requirements.txt"
  venv="$base"
fi
stamp="$venv/.quiver-requirements.sha256"

if [[ ! -x "$venv/bin/python" ]]; then
  echo "mlflow-venv: creating $venv" >&2
  mkdir -p "$(dirname "$venv")"
  "${PYTHON:-python3}" -m venv "$venv"
fi

# The stamp covers the requirements and the exact interpreter, so a rebuilt Python reinstalls too.
want="$({ cat "$req"; "$venv/bin/python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "mlflow-venv: installing $(grep -v '^#' "$req" | xargs)" >&2
  rm -f "$stamp"
  "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req" >&2
  echo "$want" > "$stamp"
else
  echo "mlflow-venv: up to date" >&2
fi

echo "$venv"
