#!/bin/sh
# Installs the bot into a new virtual environment at PREFIX from requirements.lock (every hash
# checked, wheels only, no test or lint tools), with its catalogs compiled. The Dockerfile runs
# this, and so does CI, outside the checkout (.ci/run, tests/test_install.py).
#
#     deploy/install.sh /opt/hearing-state-bot     # PYTHON=python3.11 picks the interpreter
#
# Then PREFIX/bin/hearing-state-bot runs it, from any directory: settings in PREFIX/.env (or
# the file ENV_FILE names, or the environment), data in DATA_DIR (default PREFIX/data).
set -eu

prefix=${1:?usage: deploy/install.sh PREFIX}
source=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}

"$python" -m venv "$prefix"
pip="$prefix/bin/python -m pip install --quiet --no-cache-dir --disable-pip-version-check"
$pip --require-hashes --only-binary=:all: -r "$source/requirements.lock"

# Built from a copy, so the checkout gets neither build/ nor compiled catalogs from this.
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
for part in pyproject.toml README.md LICENSE bot handlers db; do
    cp -R "$source/$part" "$build/"
done
"$prefix/bin/pybabel" compile --statistics -d "$build/bot/locales" -D messages
# No dependencies of its own (the lock has them all), built with the lock's setuptools.
$pip --no-deps --no-build-isolation "$build"
echo "installed: $prefix/bin/hearing-state-bot"
