# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PromQL query templates and Prometheus answers.

Template syntax
---------------
Placeholders are written ``$name`` or ``${name}`` (``$$`` is a literal dollar), the
syntax of :class:`string.Template` and of Grafana dashboard variables. ``{...}`` was
ruled out because PromQL already uses braces for label matchers
(``http_requests_total{service="x"}``), and ``{{ name }}`` because Ansible would
render it with Jinja2 before the module ever saw the template (an undefined
variable would then fail -- or worse, silently render -- in the playbook). A
dollar sign never appears in PromQL outside of a string literal, so ``$`` cannot
collide; inside a regex literal write ``$$`` for an end-of-line anchor.

Known placeholders: ``cluster``, ``namespace``, ``service``, ``track`` (label
values) and ``interval`` (a range duration such as ``5m``). Any other name is
rejected when the spec is validated, and rendering fails on a missing value,
always naming the placeholder.

Escaping
--------
The renderer knows whether a placeholder sits inside a string literal (and
which quote opened it) and whether that literal is the right-hand side of a
regex matcher (``=~`` / ``!~``):

* inside ``"..."`` or ``'...'``: backslash, the quote character and control
  characters are escaped the way the PromQL lexer expects;
* inside a regex matcher, RE2 metacharacters are escaped first so ``a.b`` only
  matches ``a.b``;
* inside a raw ```...``` literal a backtick is rejected (it cannot be escaped);
* outside any literal a label value must be a bare identifier
  (``[A-Za-z0-9_:]+``) and ``interval`` a PromQL duration, so a value can never
  inject operators or selectors.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.spooky.ops.plugins.module_utils.canary.durations import promql_duration
from ansible_collections.spooky.ops.plugins.module_utils.canary.errors import QueryResultError, SpecError, TemplateError

LABEL_PLACEHOLDERS = ('cluster', 'namespace', 'service', 'track')
DURATION_PLACEHOLDERS = ('interval',)
PLACEHOLDERS = LABEL_PLACEHOLDERS + DURATION_PLACEHOLDERS

_IDENT = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
_BARE_VALUE = re.compile(r'^[A-Za-z0-9_:]+$')
_REGEX_MATCHER_BEFORE = re.compile(r'[=!]~\s*$')
_RE2_META = frozenset('\\.+*?()|[]{}^$')
_QUOTES = '"\'`'


def _parse(template, path):
    """Split ``template`` into text and placeholder segments.

    Returns a list of ``str`` (literal text, ``$$`` already unescaped) and
    ``(name, offset, quote, is_regex)`` tuples; ``quote`` is ``None`` outside string literals.
    """
    if not isinstance(template, str):
        raise TemplateError((path, 'query template must be a string (got %s)' % type(template).__name__))
    segments = []
    buf = []
    quote = None
    is_regex = False
    i = 0
    end = len(template)
    while i < end:
        char = template[i]
        if char == '$':
            if template.startswith('$$', i):
                buf.append('$')
                i += 2
                continue
            if template.startswith('${', i):
                close = template.find('}', i + 2)
                name = template[i + 2:close].strip() if close >= 0 else ''
                if close < 0 or not _IDENT.match(name) or _IDENT.match(name).end() != len(name):
                    raise TemplateError((path, 'malformed placeholder at offset %d: expected ${name} (write $$ for a literal dollar)' % i))
                after = close + 1
            else:
                match = _IDENT.match(template, i + 1)
                if not match:
                    raise TemplateError((path, "malformed placeholder at offset %d: '$' must be followed by a name or {name} "
                                               "(write $$ for a literal dollar)" % i))
                name = match.group(0)
                after = match.end()
            if name not in PLACEHOLDERS:
                raise TemplateError((path, 'unknown placeholder $%s at offset %d (known: %s)' % (name, i, ', '.join(sorted(PLACEHOLDERS)))))
            if buf:
                segments.append(''.join(buf))
                buf = []
            segments.append((name, i, quote, is_regex))
            i = after
            continue
        if quote is not None:
            if char == '\\' and quote != '`' and i + 1 < end:
                buf.append(template[i:i + 2])
                i += 2
                continue
            if char == quote:
                quote = None
        elif char in _QUOTES:
            quote = char
            is_regex = bool(_REGEX_MATCHER_BEFORE.search(template, 0, i))
        buf.append(char)
        i += 1
    if quote is not None:
        raise TemplateError((path, 'unterminated string literal (opened with %s)' % quote))
    if buf:
        segments.append(''.join(buf))
    return segments


def template_placeholders(template, path='query'):
    """Validate ``template`` and return the sorted list of placeholder names it uses.

    Raises :class:`TemplateError` (a :class:`SpecError`) naming ``path`` and the
    offending placeholder for unknown names, malformed ``$`` uses and unterminated strings.
    """
    return sorted(set(seg[0] for seg in _parse(template, path) if isinstance(seg, tuple)))


def escape_string_literal(value, quote='"'):
    """Escape ``value`` for use between ``quote`` characters in a PromQL string literal."""
    if quote == '`':
        if '`' in value:
            raise ValueError('a backtick cannot appear inside a raw (`...`) PromQL string')
        return value
    out = []
    for char in value:
        if char == '\\' or char == quote:
            out.append('\\' + char)
        elif char == '\n':
            out.append('\\n')
        elif char == '\r':
            out.append('\\r')
        elif char == '\t':
            out.append('\\t')
        elif ord(char) < 0x20 or ord(char) == 0x7f:
            out.append('\\x%02x' % ord(char))
        else:
            out.append(char)
    return ''.join(out)


def escape_regex(value):
    """Escape RE2 metacharacters so ``value`` matches itself literally in ``=~``/``!~``."""
    return ''.join('\\' + char if char in _RE2_META else char for char in value)


def _format_value(name, value, quote, is_regex, path):
    if value is None:
        raise TemplateError((path, 'missing value for placeholder $%s' % name))
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TemplateError((path, 'value for placeholder $%s must be a string or a number (got %s)' % (name, type(value).__name__)))
    if name in DURATION_PLACEHOLDERS:
        try:
            text = promql_duration(value, '%s.$%s' % (path, name))
        except SpecError as exc:
            raise TemplateError((path, 'invalid value for placeholder $%s: %s' % (name, exc.problems[0][1])))
    else:
        text = str(value)
        if text == '':
            raise TemplateError((path, 'empty value for placeholder $%s' % name))
    if quote is None:
        if not _BARE_VALUE.match(text):
            raise TemplateError((path, 'value %r for placeholder $%s is used outside a quoted string and must match [A-Za-z0-9_:]+; '
                                       'quote the placeholder in the template' % (text, name)))
        return text
    if is_regex:
        text = escape_regex(text)
    try:
        return escape_string_literal(text, quote)
    except ValueError as exc:
        raise TemplateError((path, 'value for placeholder $%s: %s' % (name, exc)))


def render_query(template, values, path='query'):
    """Render a PromQL ``template`` with ``values`` (a dict: placeholder name -> value).

    Extra keys in ``values`` are ignored; every placeholder used by the template must
    have a non-``None`` value. Label values are escaped for their context (see module doc).

    >>> render_query('sum(rate(http_requests_total{service="$service",track="${track}"}[$interval]))',
    ...              {'service': 'api', 'track': 'canary', 'interval': '1m'})
    'sum(rate(http_requests_total{service="api",track="canary"}[1m]))'
    """
    if not isinstance(values, dict):
        raise TemplateError((path, 'placeholder values must be a dict (got %s)' % type(values).__name__))
    out = []
    for seg in _parse(template, path):
        if isinstance(seg, tuple):
            name, dummy, quote, is_regex = seg
            out.append(_format_value(name, values.get(name), quote, is_regex, path))
        else:
            out.append(seg)
    return ''.join(out)


def _to_float(raw, where):
    if isinstance(raw, bool):
        raise QueryResultError('%s: expected a number, got a boolean' % where)
    if isinstance(raw, (int, float)):
        return float(raw)
    if isinstance(raw, str):
        try:
            return float(raw)  # Prometheus encodes samples as strings: "0.25", "NaN", "+Inf"
        except ValueError:
            pass
    raise QueryResultError('%s: expected a number, got %r' % (where, raw))


def _unwrap(response):
    """Accept a full ``/api/v1/query`` answer, its ``data`` member, or a bare ``result`` list."""
    if isinstance(response, dict) and 'status' in response:
        if response.get('status') != 'success':
            raise QueryResultError('Prometheus returned status %r: %s' % (response.get('status'), response.get('error', 'no error message')))
        response = response.get('data')
    if isinstance(response, dict):
        if 'resultType' not in response or 'result' not in response:
            raise QueryResultError('Prometheus answer has no resultType/result')
        return response['resultType'], response['result']
    if isinstance(response, list):
        return 'vector', response
    raise QueryResultError('unexpected Prometheus answer of type %s' % type(response).__name__)


def parse_instant_value(response):
    """The single value of an instant query, as a float (``nan``/``inf`` kept), or ``None`` when empty.

    Several series are an error: the metric query must aggregate to one value
    (``sum(...)``, ``histogram_quantile(...)``), otherwise a check would silently
    look at an arbitrary series.
    """
    result_type, result = _unwrap(response)
    if result_type == 'scalar':
        if not isinstance(result, list) or len(result) != 2:
            raise QueryResultError('malformed scalar result')
        return _to_float(result[1], 'scalar')
    if result_type != 'vector':
        raise QueryResultError('expected an instant vector or scalar, got %r (use an instant query)' % (result_type,))
    if not isinstance(result, list):
        raise QueryResultError('malformed vector result')
    if not result:
        return None
    if len(result) > 1:
        raise QueryResultError('query returned %d series; aggregate it to a single series (e.g. with sum(...))' % len(result))
    sample = result[0].get('value') if isinstance(result[0], dict) else None
    if not isinstance(sample, (list, tuple)) or len(sample) != 2:
        raise QueryResultError('malformed vector sample')
    return _to_float(sample[1], 'sample')


def parse_range_values(response):
    """The sample values of a range query with one series (``[]`` when empty), for the judge.

    Non-finite samples are kept; the judge drops them and reports how many it dropped.
    """
    result_type, result = _unwrap(response)
    if not isinstance(result, list):
        raise QueryResultError('malformed %s result' % result_type)
    if not result:
        return []
    if len(result) > 1:
        raise QueryResultError('query returned %d series; aggregate it to a single series (e.g. with sum(...))' % len(result))
    series = result[0] if isinstance(result[0], dict) else {}
    if result_type == 'matrix':
        samples = series.get('values')
        if not isinstance(samples, list):
            raise QueryResultError('malformed matrix series')
        return [_to_float(pair[1], 'sample') for pair in samples]
    if result_type == 'vector':
        value = parse_instant_value({'resultType': 'vector', 'result': result})
        return [] if value is None else [value]
    raise QueryResultError('expected a matrix (range query), got %r' % (result_type,))
