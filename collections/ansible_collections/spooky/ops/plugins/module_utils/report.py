# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spooky.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The daily check's report as Markdown and as one self-contained HTML file (inline CSS and SVG).

Plain Python, no Ansible imports. Input: the summary of findings.summarize. Each metric with a
trend gets a sparkline (inline SVG) of its last hours with its warning and critical levels.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from html import escape as _escape

_COLOURS = {"ok": "#2e7d32", "unknown": "#6d6d6d", "warning": "#ef6c00", "critical": "#c62828"}
_SEV_COLOURS = {"P0": "#7b1fa2", "P1": "#c62828", "P2": "#ef6c00", "P3": "#1565c0"}


def esc(text):
    return _escape("" if text is None else str(text), quote=True)


def _value(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return "%g" % value
    return str(value)


def _thresholds(threshold):
    if not isinstance(threshold, dict):
        return _value(threshold)
    sign = ">" if threshold.get("direction") == "above" else "<"
    parts = []
    for key in ("warning", "critical"):
        if threshold.get(key) is not None:
            parts.append("%s %s %g" % (key, sign, threshold[key]))
    return ", ".join(parts)


def sparkline(points, threshold=None, width=160, height=36, status="ok"):
    """An inline SVG polyline of [[ts, value], ...] (None values break the line), with threshold lines."""
    values = [v for _t, v in points or [] if v is not None and not (isinstance(v, float) and (math.isnan(v) or math.isinf(v)))]
    if len(values) < 2:
        return '<svg class="spark" width="%d" height="%d" role="img" aria-label="no trend"><text x="2" y="%d" ' \
               'font-size="10" fill="#888">no trend</text></svg>' % (width, height, height // 2 + 4)
    levels = [threshold[k] for k in ("warning", "critical") if isinstance(threshold, dict) and threshold.get(k) is not None]
    low, high = min(values + levels), max(values + levels)
    if high == low:
        high, low = high + 1.0, low - 1.0
    t0, t1 = points[0][0], points[-1][0]
    span = (t1 - t0) or 1.0
    pad = 3.0

    def x(t):
        return pad + (width - 2 * pad) * (t - t0) / span

    def y(v):
        return height - pad - (height - 2 * pad) * (v - low) / (high - low)

    parts = ['<svg class="spark" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="trend from %s to %s">'
             % (width, height, width, height, esc(_value(min(values))), esc(_value(max(values))))]
    for key, colour in (("warning", _COLOURS["warning"]), ("critical", _COLOURS["critical"])):
        if isinstance(threshold, dict) and threshold.get(key) is not None:
            parts.append('<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="3,2" stroke-width="1"/>'
                         % (pad, width - pad, y(threshold[key]), y(threshold[key]), colour))
    segment = []
    segments = []
    for t, v in points:
        if v is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append("%.1f,%.1f" % (x(t), y(v)))
    if segment:
        segments.append(segment)
    for seg in segments:
        parts.append('<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>' % (_COLOURS.get(status, "#333"), " ".join(seg)))
    last_t, last_v = next(((t, v) for t, v in reversed(points) if v is not None), (None, None))
    if last_v is not None:
        parts.append('<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>' % (x(last_t), y(last_v), _COLOURS.get(status, "#333")))
    parts.append("</svg>")
    return "".join(parts)


def _md(text):
    return str("" if text is None else text).replace("|", "\\|").replace("\n", " ")


def markdown(summary, title="Daily check", generated_at=None):
    out = ["# %s" % title, ""]
    if generated_at:
        out += ["Generated %s." % generated_at, ""]
    out += ["**%s**" % _md(summary["lines"][0]), ""]
    if summary.get("actions"):
        out += ["## Act now (P0/P1)", ""] + ["1. %s" % _md(a) for a in summary["actions"]] + [""]
    out += ["| cluster | status | severity | findings |", "|---|---|---|---|"]
    for name in _cluster_order(summary):
        info = summary["clusters"][name]
        problems = [f for f in info["findings"] if f["status"] != "ok"]
        out.append("| %s | %s | %s | %d |" % (name, info["status"], info.get("severity") or "-", len(problems)))
    out.append("")
    for name in _cluster_order(summary):
        info = summary["clusters"][name]
        out += ["## %s: %s%s" % (name, info["status"].upper(), " (%s)" % info["severity"] if info.get("severity") else ""), ""]
        problems = [f for f in info["findings"] if f["status"] != "ok"]
        if problems:
            out += ["| severity | status | check | what | since | runbook step |", "|---|---|---|---|---|---|"]
            for f in problems:
                cells = (f.get("severity", ""), f["status"], _md(f.get("check")), _md(f.get("message")), _md(f.get("since", "")),
                         _md(f.get("runbook", "")))
                out.append("| %s | %s | %s | %s | %s | %s |" % cells)
            out.append("")
        else:
            out += ["Everything checked is ok.", ""]
        metrics = [f for f in info["findings"] if f.get("kind") == "metric"]
        if metrics:
            out += ["| metric | platform | status | value | thresholds |", "|---|---|---|---|---|"]
            for f in metrics:
                cells = (_md(f["check"]), _md(f.get("platform", "")), f["status"], _md(_value(f.get("value"))),
                         _md(_thresholds(f.get("threshold"))))
                out.append("| %s | %s | %s | %s | %s |" % cells)
            out.append("")
        for note in info.get("notes") or []:
            out.append("- Note: %s" % _md(note))
        if info.get("notes"):
            out.append("")
    out += ["## Severities", "", "| severity | what | respond within | from the runbooks |", "|---|---|---|---|"]
    for row in summary.get("severity_table") or []:
        out.append("| %s | %s | %s | %s |" % (row["severity"], _md(row["what"]), row["respond_within"], _md(row["sources"])))
    out.append("")
    return "\n".join(out)


def _cluster_order(summary):
    from ansible_collections.spooky.ops.plugins.module_utils.severity import rank  # pylint: disable=import-outside-toplevel
    statuses = ("ok", "unknown", "warning", "critical")
    return [name for name, _info in sorted(summary["clusters"].items(), key=lambda item: (
        rank(item[1].get("severity")), -statuses.index(item[1]["status"]), item[0]))]


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5rem;color:#222;background:#fafafa}
h1{font-size:1.4rem;margin:0 0 .3rem} h2{font-size:1.15rem;margin:1.6rem 0 .4rem} .meta{color:#666;font-size:.85rem}
.head{padding:.6rem .8rem;border-radius:6px;color:#fff;font-weight:600;margin:.8rem 0}
table{border-collapse:collapse;width:100%;background:#fff;margin:.4rem 0 1rem;font-size:.88rem}
th,td{border:1px solid #ddd;padding:.3rem .45rem;text-align:left;vertical-align:top} th{background:#f0f0f0}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:4px;color:#fff;font-size:.8rem;font-weight:600}
.actions li{margin:.25rem 0} .note{color:#555;font-size:.85rem} .spark{vertical-align:middle}
.ok{background:#2e7d32}.unknown{background:#6d6d6d}.warning{background:#ef6c00}.critical{background:#c62828}
.P0{background:#7b1fa2}.P1{background:#c62828}.P2{background:#ef6c00}.P3{background:#1565c0}
"""


def _badge(text, cls):
    return '<span class="badge %s">%s</span>' % (esc(cls), esc(text)) if text else ""


def html(summary, title="Daily check", generated_at=None):
    head_cls = summary.get("severity") or summary["status"]
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">', "<title>%s</title>" % esc(title),
           "<style>%s</style></head><body>" % _CSS, "<h1>%s</h1>" % esc(title)]
    if generated_at:
        out.append('<div class="meta">Generated %s</div>' % esc(generated_at))
    out.append('<div class="head %s">%s</div>' % (esc(head_cls), esc(summary["lines"][0])))
    if summary.get("actions"):
        out.append('<h2>Act now (P0/P1)</h2><ol class="actions">%s</ol>' % "".join("<li>%s</li>" % esc(a) for a in summary["actions"]))
    out.append("<table><tr><th>cluster</th><th>status</th><th>severity</th><th>findings</th></tr>")
    for name in _cluster_order(summary):
        info = summary["clusters"][name]
        problems = [f for f in info["findings"] if f["status"] != "ok"]
        out.append('<tr><td><a href="#c-%s">%s</a></td><td>%s</td><td>%s</td><td>%d</td></tr>' % (
            esc(name), esc(name), _badge(info["status"], info["status"]), _badge(info.get("severity"), info.get("severity")) or "-",
            len(problems)))
    out.append("</table>")
    for name in _cluster_order(summary):
        info = summary["clusters"][name]
        out.append('<h2 id="c-%s">%s %s %s</h2>' % (esc(name), esc(name), _badge(info["status"], info["status"]),
                                                    _badge(info.get("severity"), info.get("severity"))))
        problems = [f for f in info["findings"] if f["status"] != "ok"]
        if problems:
            out.append("<table><tr><th>severity</th><th>status</th><th>check</th><th>what</th><th>since</th><th>runbook step</th></tr>")
            for f in problems:
                out.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                    _badge(f.get("severity"), f.get("severity")), _badge(f["status"], f["status"]), esc(f.get("check")),
                    esc(f.get("message")), esc(f.get("since", "")), esc(f.get("runbook", ""))))
            out.append("</table>")
        else:
            out.append('<p class="note">Everything checked is ok.</p>')
        metrics = [f for f in info["findings"] if f.get("kind") == "metric"]
        if metrics:
            out.append("<table><tr><th>metric</th><th>platform</th><th>status</th><th>value</th><th>thresholds</th><th>trend</th></tr>")
            for f in metrics:
                out.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                    esc(f["check"]), esc(f.get("platform", "")), _badge(f["status"], f["status"]), esc(_value(f.get("value"))),
                    esc(_thresholds(f.get("threshold"))), sparkline(f.get("trend"), f.get("threshold"), status=f["status"])))
            out.append("</table>")
        for note in info.get("notes") or []:
            out.append('<p class="note">Note: %s</p>' % esc(note))
    out.append("<h2>Severities</h2><table><tr><th>severity</th><th>what</th><th>respond within</th><th>from the runbooks</th></tr>")
    for row in summary.get("severity_table") or []:
        out.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
            _badge(row["severity"], row["severity"]), esc(row["what"]), esc(row["respond_within"]), esc(row["sources"])))
    out.append("</table></body></html>")
    return "\n".join(out) + "\n"
