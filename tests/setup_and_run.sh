#!/usr/bin/env bash
# Everything the test suite needs, then the test suite, from a clean clone on a fresh Debian
# machine (the README's test command; CI runs it too, see .ci/run):
#   - a Java runtime, for the spark engine's tests (local mode and a standalone cluster),
#   - Debian's chromium, which the report tests drive headless,
#   - npm (Debian's nodejs and npm) and the VS Code extension's packages (editors/vscode),
#     which the editor tests build into a .vsix and tokenize every .kzf file with,
#   - the virtual environment .venv in the repository's root, with kzf (editable) and its
#     test extras,
# then `pytest` with this script's arguments: `bash tests/setup_and_run.sh tests/cli -q`.
# Debian packages are installed only when missing (as root, or through sudo); running it
# again only runs the tests again.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
    local as_root=()
    if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]} from Debian" >&2
    apt_install "${missing[@]}"
fi

if [ ! -x .venv/bin/pip ]; then
    # Debian's python3 makes virtual environments only with its python3-venv package.
    if ! python3 -m venv .venv; then
        rm -rf .venv
        apt_install python3-venv
        python3 -m venv .venv
    fi
fi
# the extension's packages, exactly as package-lock.json pins them (again when it changes)
if [ ! -d editors/vscode/node_modules ] \
    || [ editors/vscode/package-lock.json -nt editors/vscode/node_modules ]; then
    (cd editors/vscode && npm ci --no-audit --no-fund --loglevel=error)
    touch editors/vscode/node_modules
fi

# shellcheck disable=SC1091
source .venv/bin/activate
python -m pip install --quiet --upgrade pip
pip install --quiet -e '.[test]'
exec pytest "$@"
