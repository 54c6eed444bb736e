# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Policy decisions for spooky.ops: one client, two backends, one result shape.

* ``client.make_backend(backend, ...)``            the embedded (regopy) or rest (OPA server) backend
* ``backend.evaluate(path, input)`` / ``evaluate_many(path, inputs)``   -> ``result.Decision``
* ``embedded.EmbeddedBackend.from_directory(dir, include_tests=True).run_tests()``   Rego tests
* ``bundle``: the files of a policy directory, their digest, the bundle ConfigMap, OPA status documents
* ``result``: Decision and the errors (PolicySyntaxError names the file and line, PolicyNotFound the path)
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
