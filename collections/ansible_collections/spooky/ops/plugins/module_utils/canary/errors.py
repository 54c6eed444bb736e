# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exceptions raised by the canary analysis helpers.

Every validation problem carries the *path* of the offending value inside the
user's spec (``phases[2].weight``, ``metrics[0].query``...) so that a module can
hand the message straight back to the playbook author.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class CanaryError(Exception):
    """Base class of every error raised by this package."""


class SpecError(CanaryError, ValueError):
    """One or more problems found while validating a spec (or a state / input dict).

    ``problems`` is a list of ``(path, message)`` tuples; ``str()`` joins them as
    ``path: message; path: message``.
    """

    def __init__(self, problems, message=None):
        if isinstance(problems, tuple) and len(problems) == 2 and isinstance(problems[0], str):
            problems = [problems]
        self.problems = [(str(path), str(msg)) for path, msg in problems]
        if message is None:
            message = '; '.join(format_problem(path, msg) for path, msg in self.problems)
        super(SpecError, self).__init__(message)

    @property
    def paths(self):
        return [path for path, dummy in self.problems]


class TemplateError(SpecError):
    """A PromQL template could not be parsed or rendered (unknown/missing placeholder, unsafe value)."""


class QueryResultError(CanaryError):
    """A Prometheus answer cannot be used as a metric value (error status, several series, bad shape)."""


class StatsError(CanaryError, ValueError):
    """Invalid input for a statistical routine (empty sample, non-finite value...)."""


def format_problem(path, message):
    """``path: message`` (or just the message when the path is empty)."""
    return '%s: %s' % (path, message) if path else message
