#!/usr/bin/env bash
# Build the spooky.ops docs site offline and fail on any warning (`make docs`).
#   1. antsibull-docs lint-collection-docs --plugin-docs: the plugins' and roles' documentation is valid, references
#      to other collections checked against the installed ones (the dependency collections in .deps);
#   2. antsibull-docs collection: the RST pages of every plugin and role (errors fail it, not error pages);
#   3. sphinx-build -W: the HTML site, every warning an error (conf.py: docs/collection/conf.py).
# Output: $DOCS_BUILD (default .docs-build/ at the top of the repository, gitignored): rst/ and html/.
# Needs the collections on ANSIBLE_COLLECTIONS_PATH (the Makefile exports it) and the tools of requirements-dev.txt.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
collection="$repo/collections/ansible_collections/spooky/ops"
build="${DOCS_BUILD:-$repo/.docs-build}"
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$repo/collections:$repo/.deps/collections}"

echo "docs: lint the collection's documentation"
(cd "$collection" && antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs all --skip-rstcheck .)

echo "docs: RST pages in $build/rst"
rm -rf "$build/rst" "$build/html" "$build/doctrees"
mkdir -p "$build/rst"
chmod og-w "$build/rst"  # antsibull-docs wants the directory writable by its owner only
antsibull-docs --config-file "$repo/docs/collection/antsibull-docs.cfg" collection \
    --use-current --squash-hierarchy --fail-on-error --cleanup everything \
    --dest-dir "$build/rst" spooky.ops

echo "docs: HTML site in $build/html"
sphinx-build -b html -c "$repo/docs/collection" -d "$build/doctrees" -W --keep-going -q "$build/rst" "$build/html"
echo "docs: built without warnings: $build/html/index.html"
