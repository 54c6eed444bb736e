#!/usr/bin/env bash
# The toolchain of spooky.ops, installed idempotently and offline (only PyPI and Debian's
# package archive are reached). `make setup` runs `scripts/setup.sh all`.
#
#   scripts/setup.sh system   Debian packages the lab runs (apt-get; root or sudo)
#   scripts/setup.sh python   .venv (Python 3.11, requirements-dev.txt), the dependency
#                             collections in .deps/collections, ansible-test's get-pip stand-in
#   scripts/setup.sh all      both of the above
#   scripts/setup.sh py312 PYTHON
#                             .venv-py312 for the Python 3.12 / ansible-core 2.21 checks
#
# A second run is fast: each step checks before it acts, and the pip step is skipped while
# a stamp keyed on the requirements files (and this script) matches.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

PYTHON=${PYTHON:-python3}
VENV=${VENV:-$ROOT/.venv}
ANSIBLE_BUNDLE=${ANSIBLE_BUNDLE:-12.3.0}
# The lab's services (the lab runs their binaries itself) and shellcheck (ansible-test sanity).
APT_PACKAGES=(prometheus prometheus-alertmanager redis-server nats-server postgresql-15 shellcheck)
# System services those packages bring; the lab starts its own processes on its own ports.
APT_SERVICES=(redis-server nats-server postgresql prometheus prometheus-node-exporter prometheus-alertmanager)

say() { echo "setup: $*"; }

# pip on some machines names file:// indexes that it then warns about on every run.
quiet_pip() {
    local python=$1
    shift
    local rc=0
    { "$python" -m pip --disable-pip-version-check "$@" 2>&1 1>&3 |
        { grep -v "^WARNING: Location '" >&2 || true; }; } 3>&1 || rc=$?
    return "$rc"
}

setup_system() {
    local missing=() pkg status
    for pkg in "${APT_PACKAGES[@]}"; do
        status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
        [ "$status" = "install ok installed" ] || missing+=("$pkg")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi

    local sudo=()
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo -n)
        else
            echo "setup: need root (or sudo) to apt-get install: ${missing[*]}" >&2
            return 1
        fi
    fi

    say "apt-get install ${missing[*]}"
    # Keep apt from starting the packages' services (they would hold the default ports):
    # invoke-rc.d asks /usr/sbin/policy-rc.d, and 101 means "not allowed".
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\n# made by spooky.ops scripts/setup.sh during apt-get install\nexit 101\n' |
            "${sudo[@]}" tee "$policy" >/dev/null
        "${sudo[@]}" chmod 755 "$policy"
        made_policy=1
    fi
    local rc=0
    {
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
            "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
                --no-install-recommends -o Dpkg::Options::=--force-confdef \
                -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null \
                2> >(grep -v '^debconf: delaying package configuration' >&2)
    } || rc=$?
    if [ "$made_policy" = 1 ]; then
        "${sudo[@]}" rm -f "$policy"
    fi
    [ "$rc" = 0 ] || { echo "setup: apt-get install failed ($rc)" >&2; return "$rc"; }

    # Should a service have started anyway (a machine without that policy), stop it and keep
    # it from starting at boot. There may be no systemd: `service` copes with both.
    local svc
    for svc in "${APT_SERVICES[@]}"; do
        if [ -e "/etc/init.d/$svc" ] || [ -e "/lib/systemd/system/$svc.service" ]; then
            "${sudo[@]}" service "$svc" stop >/dev/null 2>&1 || true
            "${sudo[@]}" update-rc.d "$svc" disable >/dev/null 2>&1 || true
        fi
    done
    if command -v pg_lsclusters >/dev/null 2>&1; then
        # postgresql-common may have started the default cluster directly
        pg_lsclusters --no-header 2>/dev/null | while read -r version cluster _port status _rest; do
            if [ "$status" = online ]; then
                "${sudo[@]}" pg_ctlcluster "$version" "$cluster" stop >/dev/null 2>&1 || true
            fi
        done
    fi
    say "installed ${missing[*]} (their services are not left running)"
}

# setup_venv VENV PYTHON STAMP_INPUTS... -- PIP_INSTALL_ARGS...
setup_venv() {
    local venv=$1 python=$2
    shift 2
    local inputs=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        inputs+=("$1")
        shift
    done
    shift

    if ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
        say "creating $(basename "$venv") with $("$python" -c 'import sys; print(sys.executable, sys.version.split()[0])')"
        rm -rf "$venv"
        "$python" -m venv "$venv"
    fi

    local stamp="$venv/.spooky-setup.sha256" want
    want=$( { "$venv/bin/python" -VV; cat "${inputs[@]}"; } | sha256sum | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    say "pip install into $(basename "$venv") ($*)"
    rm -f "$stamp"
    quiet_pip "$venv/bin/python" install --quiet "$@"
    echo "$want" >"$stamp"
}

setup_python() {
    if ! "$PYTHON" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] < (3, 14)))' 2>/dev/null; then
        echo "setup: $PYTHON must be Python 3.11 to 3.13 (ansible-core 2.19); set PYTHON=..." >&2
        return 1
    fi
    setup_venv "$VENV" "$PYTHON" requirements.txt requirements-dev.txt scripts/setup.sh -- \
        -r requirements-dev.txt
    "$VENV/bin/python" scripts/deps_collections.py --bundle "$ANSIBLE_BUNDLE" \
        --requirements requirements.yml --cache .deps/cache --dest .deps/collections \
        2> >(grep -v "^WARNING: Location '" >&2)
    "$VENV/bin/python" scripts/ansible_test_offline.py "$VENV/bin/python"
}

setup_py312() {
    local python=${1:?usage: setup.sh py312 PYTHON}
    local venv=${VENV_PY312:-$ROOT/.venv-py312}
    setup_venv "$venv" "$python" scripts/requirements-py312.txt \
        collections/ansible_collections/spooky/ops/tests/unit/requirements.txt scripts/setup.sh -- \
        -r scripts/requirements-py312.txt
    "$venv/bin/python" scripts/ansible_test_offline.py "$venv/bin/python"
}

case "${1:-all}" in
    system) setup_system ;;
    python) setup_python ;;
    all) setup_system && setup_python ;;
    py312) setup_py312 "${2:-}" ;;
    *)
        echo "usage: $0 [system|python|all|py312 PYTHON]" >&2
        exit 2
        ;;
esac
