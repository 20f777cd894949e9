#!/usr/bin/env bash
# Creates .venv if missing and installs the project into it: `runtime` (what `make demo` serves) or
# `dev` (plus test and lint tools). Re-runs pip only when pyproject.toml, constraints.txt or the
# extras asked for changed: the stamp file holds their hash.
set -euo pipefail
cd "$(dirname "$0")/.."
want=${1:-dev}
python=${PYTHON:-python3}
venv=.venv
hash=$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)

if [ ! -x "$venv/bin/python" ]; then
  echo "== creating $venv with $($python --version 2>&1)"
  "$python" -m venv "$venv"
fi
# A dev install covers the runtime one.
if [ "$(cat "$venv/.zhuli-dev" 2>/dev/null)" = "$hash" ]; then exit 0; fi
if [ "$want" = runtime ] && [ "$(cat "$venv/.zhuli-runtime" 2>/dev/null)" = "$hash" ]; then exit 0; fi

target="."
[ "$want" = dev ] && target=".[dev]"
echo "== installing $target into $venv (pinned by constraints.txt)"
started=$SECONDS
# (Some machines' pip.conf names local indexes that may be absent: their warnings are noise.)
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -c constraints.txt -e "$target" 2>&1 \
  | { grep -v "^WARNING: Location 'file:" || true; }
echo "$hash" > "$venv/.zhuli-$want"
echo "== installed in $((SECONDS - started)) s"
