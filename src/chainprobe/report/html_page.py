"""The HTML report's page: escaping, the inline stylesheet and the document shell.

One self-contained file: no script, no external stylesheet, font or image; a Content-Security-Policy
meta tag forbids loading anything, so even markup that slipped through could fetch or run nothing.
Every text from the ledger or the spec goes through :func:`esc` (or :func:`clip`).
"""

from __future__ import annotations

import re
from html import escape

__all__ = ["CSS", "clip", "esc", "page"]

# C0 controls but tab, newline and carriage return, and DEL: not allowed in an HTML document.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def esc(value: object) -> str:
    """Text safe in element content and in quoted attribute values (``& < > " '`` escaped, control
    characters replaced by U+FFFD)."""
    return escape(_CONTROL.sub("\ufffd", str(value)), quote=True)


def clip(value: str | None, limit: int) -> str:
    """``value`` escaped, cut to ``limit`` characters (with an ellipsis) before escaping."""
    text = value or ""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return esc(text)


CSS = """
:root{--ink:#1b1f24;--muted:#57606a;--line:#d0d7de;--soft:#f6f8fa;--good:#0072b2;--bad:#d55e00;
--pending:#8c8c8c;--met-bg:#e7f3ec;--met-line:#1a7f37;--breach-bg:#fdecea;--breach-line:#b42318}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;font:14px/1.45 system-ui,-apple-system,"Segoe UI",
Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;padding-bottom:4px;
border-bottom:1px solid var(--line)}h3{font-size:15px;margin:16px 0 6px}
p{margin:6px 0}code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
h1 code{font-size:inherit}
.meta{color:var(--muted)}
nav{margin:10px 0 0;font-size:13px}nav a{margin-right:12px}
.verdict{margin:16px 0;padding:12px 16px;border:2px solid;border-left-width:10px;border-radius:6px}
.verdict.met{background:var(--met-bg);border-color:var(--met-line)}
.verdict.breached{background:var(--breach-bg);border-color:var(--breach-line)}
.verdict .word{font-size:22px;font-weight:700;margin:0}
.verdict ul{margin:6px 0 0;padding-left:22px}
table{border-collapse:collapse;margin:8px 0;width:100%}
th,td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.ok{color:var(--met-line);font-weight:600}.no{color:var(--breach-line);font-weight:600}
.dim{color:var(--muted)}
.wide{overflow-x:auto}
.detail{max-width:420px;overflow-wrap:anywhere}
details pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--soft);padding:6px;margin:4px 0;
max-height:240px;overflow:auto;font-size:12px}
figure{margin:12px 0 20px}figcaption{color:var(--muted);font-size:13px;margin-top:4px}
.bar{display:inline-block;height:10px;background:var(--bad);vertical-align:middle;margin-right:6px}
svg.chart{width:100%;height:auto;display:block;font:11px system-ui,sans-serif}
svg.strip{width:200px;height:22px;display:block}
svg text{fill:var(--ink)}svg .axis-label,svg .tick{fill:var(--muted)}
svg .axis{stroke:#8c959f;stroke-width:1;fill:none}svg .grid{stroke:#eaeef2;stroke-width:1}
svg .good{fill:var(--good)}svg .over{fill:url(#hatch)}svg .pending{fill:#fff;stroke:var(--pending)}
svg .threshold{stroke:var(--ink);stroke-width:1.5;stroke-dasharray:6 4}
svg .pline{stroke:var(--muted);stroke-width:1.2;stroke-dasharray:2 3}
svg .track{stroke:#adb5bd;stroke-width:1.5}svg .row-bad{fill:#fdecea}svg .row-pending{fill:#f3f3f3}
svg .m-api{fill:var(--good)}svg .m-dynamodb{fill:#009e73}svg .m-event{fill:#cc79a7}
svg .m-courier{fill:#e69f00}svg .m-sent{stroke:var(--ink);stroke-width:1.5}
svg .m-fail{fill:none;stroke:var(--bad);stroke-width:2}
svg .bad-label{fill:var(--breach-line);font-weight:600}svg .group{font-weight:600}
svg .line-a{stroke:var(--good);stroke-width:2;fill:none}
svg .line-b{stroke:var(--bad);stroke-width:2;fill:none;stroke-dasharray:6 3}
svg .pt{fill:var(--good)}svg .pt-low{fill:var(--bad)}svg .pt-b{fill:var(--bad)}
svg .ci{fill:#9ecae1}svg .est{fill:var(--ink)}svg .target{stroke:var(--breach-line);stroke-width:2}
@media print{main{max-width:none}nav{display:none}}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def page(title: str, body: str) -> str:
    """The whole document; ``title`` is plain text (escaped here), ``body`` HTML already escaped."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n</main>\n</body>\n</html>\n"
    )
