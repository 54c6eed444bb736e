# Sphinx configuration of the spooky.ops collection docs site (`make docs`, scripts/build_docs.sh).
# Started from `antsibull-docs sphinx-init --use-current spooky.ops`; changed so that the site builds offline:
# no intersphinx inventories are downloaded, and references to Ansible's own docs and to other collections
# resolve to links on docs.ansible.com (resolve_external below). A reference into spooky.ops that does not
# resolve is still a warning, and the build runs with -W: every warning fails it.

import re

from docutils import nodes
from docutils.nodes import make_id

project = 'spooky.ops'
copyright = 'spooky.ops maintainers'
title = 'spooky.ops collection'
html_short_title = 'spooky.ops'

extensions = ['sphinx.ext.autodoc', 'sphinx_antsibull_ext']

pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False
display_version = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False

default_role = 'any'
nitpicky = True

ANSIBLE_DOCS = 'https://docs.ansible.com/ansible/latest/'
# Labels of Ansible's own documentation that the generated pages refer to, and their pages.
ANSIBLE_LABELS = {
    'common_return_values': 'reference_appendices/common_return_values.html',
    'ansible_configuration_settings': 'reference_appendices/config.html',
    'action_plugins': 'plugins/action.html',
    'callback_plugins': 'plugins/callback.html',
    'filter_plugins': 'plugins/filter.html',
    'module_plugins': 'plugins/module.html',
    'playbooks_vars_facts': 'playbook_guide/playbooks_vars_facts.html',
}
# ansible_collections.<namespace>.<name>.<plugin>_<type>[__<anchor>]: a plugin of another collection.
COLLECTION_LABEL = re.compile(r'^ansible_collections\.(?P<ns>[a-z0-9_]+)\.(?P<coll>[a-z0-9_]+)\.(?P<page>[a-z0-9_]+)(?:__.*)?$')
OWN_COLLECTION = ('spooky', 'ops')


def resolve_external(app, env, node, contnode):
    """A link to docs.ansible.com for a label of Ansible's docs or of another collection (offline intersphinx)."""
    if node.get('reftype') not in ('ref', 'any'):
        return None
    target = node.get('reftarget', '')
    if target in ANSIBLE_LABELS:
        url = ANSIBLE_DOCS + ANSIBLE_LABELS[target]
    else:
        match = COLLECTION_LABEL.match(target)
        if not match or (match['ns'], match['coll']) == OWN_COLLECTION:
            return None
        url = '%scollections/%s/%s/%s.html' % (ANSIBLE_DOCS, match['ns'], match['coll'], match['page'])
        if '__' in target:
            url += '#' + make_id(target)
    reference = nodes.reference('', '', internal=False, refuri=url)
    reference.append(contnode)
    return reference


def setup(app):
    app.connect('missing-reference', resolve_external)
