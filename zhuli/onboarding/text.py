"""Markdown-lite for norms and policies: `#`/`##` headings, `-` and `1.` lists, **bold**, paragraphs.
Everything is escaped first, so a body can never carry HTML or script into the page."""
from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BOLD = re.compile(r"\*\*(.+?)\*\*")
ORDERED = re.compile(r"^\d{1,3}[.、)]\s*")


def _inline(line: str) -> str:
    return BOLD.sub(r"<strong>\1</strong>", escape(line))


def render_body(body: str) -> SafeString:
    out: list[str] = []
    paragraph: list[str] = []
    open_list = ""

    def close_paragraph():
        if paragraph:
            out.append("<p>" + "<br>".join(paragraph) + "</p>")
            paragraph.clear()

    def close_list():
        nonlocal open_list
        if open_list:
            out.append(f"</{open_list}>")
            open_list = ""

    for raw in (body or "").splitlines():
        line = raw.strip()
        if not line:
            close_paragraph()
            close_list()
            continue
        heading = re.match(r"^(#{1,3})\s+(.*)$", line)
        if heading:
            close_paragraph()
            close_list()
            level = len(heading.group(1)) + 2  # h3–h5: the page title is the h1
            out.append(f"<h{level} class=\"zl-doc-h\">{_inline(heading.group(2))}</h{level}>")
            continue
        bullet = re.match(r"^[-*•]\s+(.*)$", line)
        ordered = ORDERED.match(line)
        if bullet or ordered:
            close_paragraph()
            tag = "ul" if bullet else "ol"
            if open_list != tag:
                close_list()
                out.append(f"<{tag}>")
                open_list = tag
            item = bullet.group(1) if bullet else line[ordered.end():]
            out.append(f"<li>{_inline(item)}</li>")
            continue
        close_list()
        paragraph.append(_inline(line))
    close_paragraph()
    close_list()
    return mark_safe("\n".join(out))  # noqa: S308 (every piece of user text above went through escape())
