# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Canary analysis for progressive delivery -- plain Python (stdlib only), no Ansible imports.

One concern per module; a module author typically needs:

* ``spec.validate_spec(raw) -> spec``                   validate + normalize the analysis spec
* ``promql.render_query(template, values) -> str``      render a ``$placeholder`` PromQL template
* ``promql.parse_instant_value(answer)`` / ``parse_range_values(answer)``   read Prometheus answers
* ``checks.evaluate_checks(spec, phase_index, observations, traffic=...)``  threshold checks of a tick
* ``judge.judge(spec, samples) -> dict``                Kayenta-like canary vs baseline judge
* ``analysis.next_verdict(spec, state, checks, judge=None, now=None)``   promote/continue/hold/rollback
* ``analysis.evaluate_tick(spec, state, observations, samples=None, traffic=..., now=None)``  all of the above

Lower level: ``mann_whitney`` (U test, Hodges-Lehmann shift and CI), ``outliers``,
``phases`` (phase plan expansion), ``durations``, ``validation``, ``errors``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
