"""Document numbers (合同编号, 订单编号 …) from the tenant's NumberingRule patterns.

A pattern holds {yyyy} {yy} {mm} {dd} and exactly one {seq:0N}. The sequence restarts whenever the rendered part
before {seq} changes (HT-202612- → HT-202701-), because that rendered prefix names the core Sequence it draws from
(`f"{doc_type}:{prefix}"`), which is advanced with a locked / conditional update — never max + 1."""
from __future__ import annotations

import datetime
import re

from django.utils.translation import gettext as _

from zhuli.core.sequences import sequence_next

from .models import DEFAULT_PATTERNS, DocType, NumberingRule

NUMBER_MAX = 40  # Agreement.number / Quote.number
PATTERN_MAX = 60
_TOKEN = re.compile(r"\{([^{}]*)\}")
_SEQ = re.compile(r"^seq:0([1-9])$")
DATE_TOKENS = ("yyyy", "yy", "mm", "dd")


def _date_parts(on_date: datetime.date) -> dict[str, str]:
    return {"yyyy": f"{on_date.year:04d}", "yy": f"{on_date.year % 100:02d}", "mm": f"{on_date.month:02d}",
            "dd": f"{on_date.day:02d}"}


def pattern_errors(pattern: str) -> list[str]:
    """Why a pattern cannot be used (empty list: it can): one {seq:0N}, known tokens only, ≤ 40 characters."""
    pattern = pattern or ""
    if not pattern.strip():
        return [_("请填写编号规则")]
    if len(pattern) > PATTERN_MAX:
        return [_("编号规则最多 %(n)s 个字符") % {"n": PATTERN_MAX}]
    errors = []
    tokens = _TOKEN.findall(pattern)
    unknown = [t for t in tokens if t not in DATE_TOKENS and not _SEQ.match(t)]
    if unknown:
        errors.append(_("不认识的占位符：%(tokens)s（可用 {yyyy} {yy} {mm} {dd} {seq:04}）")
                      % {"tokens": "、".join("{" + t + "}" for t in unknown)})
    seqs = [t for t in tokens if _SEQ.match(t)]
    if len(seqs) != 1:
        errors.append(_("编号规则须包含且只包含一个流水号 {seq:0N}，例如 {seq:04}"))
    stripped = _TOKEN.sub("", pattern)
    if "{" in stripped or "}" in stripped:
        errors.append(_("花括号只能用于占位符"))
    if not errors and len(render(pattern, datetime.date(2099, 12, 31), 10 ** int(seqs[0][-1]) - 1)) > NUMBER_MAX:
        errors.append(_("生成的编号最多 %(n)s 个字符") % {"n": NUMBER_MAX})
    return errors


def render(pattern: str, on_date: datetime.date, seq: int | None) -> str:
    """The pattern with its tokens filled; `seq=None` renders only the part before {seq} (the period prefix)."""
    parts = _date_parts(on_date)
    out = []
    position = 0
    for match in _TOKEN.finditer(pattern):
        out.append(pattern[position:match.start()])
        token = match.group(1)
        seq_match = _SEQ.match(token)
        if seq_match:
            if seq is None:
                return "".join(out)
            out.append(f"{seq:0{int(seq_match.group(1))}d}")
        else:
            out.append(parts.get(token, ""))
        position = match.end()
    out.append(pattern[position:])
    return "".join(out)


def pattern_for(doc_type: str) -> str:
    """The active tenant's pattern for a document type (the default when none is set)."""
    pattern = NumberingRule.objects.filter(doc_type=doc_type).values_list("pattern", flat=True).first()
    return pattern or DEFAULT_PATTERNS[DocType(doc_type)]


def number_next(doc_type: str, on_date: datetime.date) -> str:
    """The next number of `doc_type` in the active tenant, e.g. HT-202612-0001; race-safe (core sequences)."""
    pattern = pattern_for(doc_type)
    prefix = render(pattern, on_date, None)
    return render(pattern, on_date, sequence_next(f"{doc_type}:{prefix}"[:50]))


def number_preview(pattern: str, on_date: datetime.date) -> str:
    """What the next number would look like (the settings page), without drawing from the sequence."""
    return render(pattern, on_date, 1)
