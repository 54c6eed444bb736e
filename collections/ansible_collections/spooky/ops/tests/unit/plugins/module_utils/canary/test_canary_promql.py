# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.canary.errors import QueryResultError, SpecError, TemplateError
from ansible_collections.spooky.ops.plugins.module_utils.canary.promql import (
    escape_regex, escape_string_literal, parse_instant_value, parse_range_values, render_query, template_placeholders,
)

VALUES = {'cluster': 'lab', 'namespace': 'shop', 'service': 'api', 'track': 'canary', 'interval': '1m'}


def test_render_both_placeholder_forms_and_keeps_promql_braces():
    template = 'sum(rate(http_requests_total{namespace="$namespace",service="${service}",track="$track"}[$interval]))'
    assert render_query(template, VALUES) == \
        'sum(rate(http_requests_total{namespace="shop",service="api",track="canary"}[1m]))'


def test_placeholders_listed_sorted_and_unique():
    assert template_placeholders('a{x="$service",y="${service}",c="$cluster"}[$interval]') == ['cluster', 'interval', 'service']


def test_double_dollar_is_a_literal_dollar():
    assert render_query('up{job=~"api$$"}', {}) == 'up{job=~"api$"}'


def test_unknown_placeholder_rejected_with_its_name():
    with pytest.raises(TemplateError) as exc:
        template_placeholders('up{service="$servce"}', 'metrics[0].query')
    assert 'unknown placeholder $servce' in str(exc.value)
    assert exc.value.paths == ['metrics[0].query']
    assert isinstance(exc.value, SpecError)


def test_unknown_braced_placeholder_rejected_when_rendering():
    with pytest.raises(TemplateError, match=r'unknown placeholder \$pod'):
        render_query('up{pod="${pod}"}', dict(VALUES, pod='x'))


def test_missing_value_names_the_placeholder():
    with pytest.raises(TemplateError, match=r'missing value for placeholder \$track'):
        render_query('up{track="$track"}', {'service': 'api'})
    with pytest.raises(TemplateError, match=r'missing value for placeholder \$service'):
        render_query('up{service="$service"}', {'service': None})


@pytest.mark.parametrize('template', ['up{a="$"}', 'up{a="$1"}', 'up{a="${}"}', 'up{a="${service"}', 'up{a="${ser vice}"}'])
def test_malformed_dollar_rejected(template):
    with pytest.raises(TemplateError, match='malformed placeholder'):
        template_placeholders(template)


def test_unterminated_string_rejected():
    with pytest.raises(TemplateError, match='unterminated string'):
        template_placeholders('up{service="$service}')


def test_label_value_escaped_for_double_quotes():
    out = render_query('up{service="$service"}', {'service': 'a"b\\c\nd'})
    assert out == 'up{service="a\\"b\\\\c\\nd"}'


def test_label_value_escaped_for_single_quotes():
    assert render_query("up{service='$service'}", {'service': "o'neil\"x"}) == "up{service='o\\'neil\"x'}"


def test_regex_matcher_values_are_regex_escaped():
    assert render_query('up{service=~"$service"}', {'service': 'a.b+c'}) == 'up{service=~"a\\\\.b\\\\+c"}'
    assert render_query('up{service !~ "$service|other"}', {'service': 'a.b'}) == 'up{service !~ "a\\\\.b|other"}'
    # equality matchers are not regex-escaped
    assert render_query('up{service="$service"}', {'service': 'a.b'}) == 'up{service="a.b"}'


def test_raw_string_rejects_backtick():
    assert render_query('up{service=`$service`}', {'service': 'a"b'}) == 'up{service=`a"b`}'
    with pytest.raises(TemplateError, match='backtick'):
        render_query('up{service=`$service`}', {'service': 'a`b'})


def test_bare_placeholder_only_accepts_identifiers():
    assert render_query('${service}_requests_total', {'service': 'api_v2'}) == 'api_v2_requests_total'
    with pytest.raises(TemplateError, match='outside a quoted string'):
        render_query('${service}_requests_total', {'service': 'x or vector(1)'})


@pytest.mark.parametrize('given,expected', [('5m', '5m'), ('1h30m', '1h30m'), (90, '90s'), (300, '5m'), (0.5, '500ms'), ('1.5m', '90s')])
def test_interval_rendered_as_promql_duration(given, expected):
    assert render_query('rate(x[$interval])', {'interval': given}) == 'rate(x[%s])' % expected


@pytest.mark.parametrize('bad', ['5 minutes', '-1m', 0, '1m]) or vector(1', True])
def test_invalid_interval_rejected(bad):
    with pytest.raises(TemplateError, match=r'\$interval'):
        render_query('rate(x[$interval])', {'interval': bad})


def test_escape_helpers():
    assert escape_regex('a.b*(c)') == 'a\\.b\\*\\(c\\)'
    assert escape_string_literal('tab\there', '"') == 'tab\\there'
    assert escape_string_literal('\x01', '"') == '\\x01'


def test_non_string_template_rejected():
    with pytest.raises(TemplateError, match='must be a string'):
        template_placeholders(42)


def _vector(*values):
    return {'status': 'success', 'data': {'resultType': 'vector',
                                          'result': [{'metric': {}, 'value': [1700000000.0, v]} for v in values]}}


def test_parse_instant_value_forms():
    assert parse_instant_value(_vector('0.25')) == 0.25
    assert math.isnan(parse_instant_value(_vector('NaN')))
    assert parse_instant_value(_vector('+Inf')) == math.inf
    assert parse_instant_value(_vector()) is None
    assert parse_instant_value({'resultType': 'scalar', 'result': [1.0, '3']}) == 3.0
    assert parse_instant_value([{'metric': {}, 'value': [0, '7']}]) == 7.0


def test_parse_instant_value_rejects_several_series_and_errors():
    with pytest.raises(QueryResultError, match='2 series'):
        parse_instant_value(_vector('1', '2'))
    with pytest.raises(QueryResultError, match='bad_data'):
        parse_instant_value({'status': 'error', 'errorType': 'bad_data', 'error': 'parse error: bad_data at char 3'})
    with pytest.raises(QueryResultError, match='expected a number'):
        parse_instant_value(_vector('abc'))


def test_parse_range_values():
    answer = {'status': 'success', 'data': {'resultType': 'matrix', 'result': [
        {'metric': {}, 'values': [[1, '1.5'], [2, 'NaN'], [3, '2']]}]}}
    values = parse_range_values(answer)
    assert values[0] == 1.5 and math.isnan(values[1]) and values[2] == 2.0
    assert parse_range_values({'resultType': 'matrix', 'result': []}) == []
    with pytest.raises(QueryResultError, match='2 series'):
        parse_range_values({'resultType': 'matrix', 'result': [{'values': []}, {'values': []}]})
