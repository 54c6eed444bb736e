#!/usr/bin/env bash
# Run ansible-test on the spooky.ops collection with its dependency collections beside it.
#
#   scripts/ansible_test.sh VENV ANSIBLE-TEST-ARGS...
#
# ansible-test sees only the collections in the same ansible_collections root as the one
# under test (it sets ANSIBLE_COLLECTIONS_PATH to that root itself), and the tree keeps only
# spooky.ops there. So ansible-test runs in a view, .deps/ansible-test/ansible_collections
# (ignored by git): a copy of the collection, refreshed on every run
# (scripts/collection_view.py), and the dependency collections of .deps/collections as
# symlinks. The collection must be a real copy, not a symlink: ansible-test resolves its
# working directory, and its pytest plugin test paths, to the real path.
# Paths that ansible-test prints are relative to the collection, so they name the real files;
# its results (tests/output) stay in the view.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
venv=${1:?usage: ansible_test.sh VENV ANSIBLE-TEST-ARGS...}
shift
venv=$(cd "$venv" && pwd)

view=.deps/ansible-test/ansible_collections
"$venv/bin/python" scripts/collection_view.py collections/ansible_collections/spooky/ops \
    "$view" .deps/collections/ansible_collections

export PATH="$venv/bin:$PATH"
export ANSIBLE_TEST_CONTENT_ROOT="$ROOT/$view/spooky/ops"
cd "$ANSIBLE_TEST_CONTENT_ROOT"
exec "$venv/bin/ansible-test" "$@"
