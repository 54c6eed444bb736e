#!/usr/bin/env bash
# Print the path of a Python interpreter of the given minor version (e.g. 3.12), or nothing
# (and exit 1) if there is none. Looks on PATH, then in pyenv's versions, then in the usual
# system locations; every candidate is run to check that it really is that version.
set -uo pipefail
want=${1:?usage: find_python.sh MAJOR.MINOR}

candidates=()
command -v "python$want" >/dev/null 2>&1 && candidates+=("$(command -v "python$want")")
roots=()
if command -v pyenv >/dev/null 2>&1; then
    roots+=("$(pyenv root 2>/dev/null)")
fi
roots+=("${PYENV_ROOT:-$HOME/.pyenv}")
for root in "${roots[@]}"; do
    [ -n "$root" ] || continue
    # newest patch release first
    while IFS= read -r dir; do
        candidates+=("$dir/bin/python$want")
    done < <(find "$root/versions" -mindepth 1 -maxdepth 1 -name "$want.*" 2>/dev/null | sort -rV)
done
candidates+=("/usr/local/bin/python$want" "/usr/bin/python$want")

for python in "${candidates[@]}"; do
    [ -x "$python" ] || continue
    if got=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) && [ "$got" = "$want" ]; then
        echo "$python"
        exit 0
    fi
done
exit 1
