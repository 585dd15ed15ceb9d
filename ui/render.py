"""HTML and Markdown for the web chat. Every piece of corpus text passes through
``escape_html`` or ``escape_markdown`` here: an article holding ``<script>``,
``<img onerror=...>`` or a Markdown link shows as text and runs nothing."""

from __future__ import annotations

import html
import re

from rag import Answer, Citation

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def escape_html(text: str) -> str:
    return html.escape(text, quote=True)


def escape_markdown(text: str) -> str:
    """Text that Markdown and HTML both render literally."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


_MARKER_TEXT = re.compile(r"\\\[(\d+)\\\]")  # an escaped "[n]"


def _marker(n: int) -> str:
    return f'<a href="#cw-src-{n}" title="Show source {n}">[{n}]</a>'


def answer_markdown(answer: Answer) -> str:
    """The chat message: quoted sentences with clickable citation markers, then which
    articles report it (and, when they disagree, each version with its sources)."""
    if not answer.answerable:
        return f"**{escape_markdown(answer.text)}** Try rephrasing, or ask about something the articles cover."
    if answer.answerer == "llm":  # the model's checked sentences, with their markers
        body = _MARKER_TEXT.sub(lambda m: _marker(int(m.group(1))), escape_markdown(answer.text))
        if answer.removed:
            body += f"\n\n*{len(answer.removed)} sentence(s) the cited passages do not support were removed:* " + (
                " ".join(f"~~{escape_markdown(r)}~~" for r in answer.removed)
            )
    elif answer.conflicts:
        lines = ["**The articles disagree:**"]
        for version in answer.conflicts:
            quoted = " ".join(
                f"{escape_markdown(answer.citations[n - 1].text)} {_marker(n)}"
                for n in version.cited
                if 0 < n <= len(answer.citations)
            )
            lines.append(
                f"- **{escape_markdown(version.value)}** ({escape_markdown(', '.join(version.sources))}): {quoted}"
            )
        body = "\n".join(lines)
    else:
        body = " ".join(f"{escape_markdown(c.text)} {_marker(n)}" for n, c in enumerate(answer.citations, start=1))
    for n, c in enumerate(answer.citations, start=1):
        if c.relative_date:
            body += f"\n\n“{escape_markdown(c.relative_date)}” {_marker(n)}: {escape_markdown(c.date_placement)}."
    if answer.notice:
        body = f"*{escape_markdown(answer.notice)}*\n\n" + body
    return body + (f"\n\n*{escape_markdown(answer.support_line())}*" if answer.supported_by else "")


def placeholder_markdown(titles: list[str], shown: int = 3) -> str:
    """The empty chat's prompt: what the articles are about, from their titles."""
    if not titles:
        return "Ask a question about the articles."
    more = f" and {len(titles) - shown} more" if len(titles) > shown else ""
    return "Ask about: " + "; ".join(f"*{escape_markdown(t)}*" for t in titles[:shown]) + more + "."


def _meta(p: Citation) -> str:
    bits = [escape_html(x) for x in (p.outlet, f"by {p.author}" if p.author else None, p.date) if x]
    return " · ".join(bits)


def _highlighted(context: str, context_start: int, p: Citation) -> str:
    """The passage around a citation, escaped, with the cited sentence in <mark>."""
    a, b = p.start - context_start, p.end - context_start
    return escape_html(context[:a]) + f"<mark>{escape_html(context[a:b])}</mark>" + escape_html(context[b:])


def sources_html(answer: Answer, contexts: list[tuple[str, int]], articles: list[str]) -> str:
    """The sources panel: one card per citation, with the cited sentence highlighted in
    its passage and the whole article one click away (span highlighted and scrolled to).
    ``contexts[n]`` is (passage text, passage start) and ``articles[n]`` the article text
    for citation n."""
    if not answer.answerable or not answer.citations:
        return '<div class="cw-empty">No sources: the articles don\'t answer this question, so nothing is quoted.</div>'
    cards = []
    for n, (p, (context, start), article) in enumerate(zip(answer.citations, contexts, articles, strict=True), 1):
        meta = _meta(p)
        cards.append(
            f'<div class="cw-card" id="cw-src-{n}">'
            f'<div class="cw-head"><span class="cw-num">[{n}]</span> <b>{escape_html(p.title)}</b></div>'
            + (f'<div class="cw-meta">{meta}</div>' if meta else "")
            + f'<div class="cw-loc"><code>{escape_html(p.source)}</code> · characters [{p.start}, {p.end})</div>'
            f'<blockquote class="cw-snippet">{_highlighted(context, start, p)}</blockquote>'
            f'<details class="cw-article" data-span="cw-span-{n}"><summary>Open the whole article</summary>'
            f'<div class="cw-fulltext">{escape_html(article[: p.start])}'
            f'<mark id="cw-span-{n}">{escape_html(article[p.start : p.end])}</mark>'
            f"{escape_html(article[p.end :])}</div></details>"
            "</div>"
        )
    return '<div class="cw-sources">' + "".join(cards) + "</div>"


CSS = """
.cw-sources { display: flex; flex-direction: column; gap: 12px; }
.cw-card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 12px 14px;
           background: var(--background-fill-secondary); transition: box-shadow .3s, border-color .3s; }
.cw-card.cw-active { border-color: #f59e0b; box-shadow: 0 0 0 3px rgba(245, 158, 11, .35); }
.cw-head { font-size: 15px; } .cw-num { color: #b45309; font-weight: 700; }
.cw-meta, .cw-loc { color: var(--body-text-color-subdued); font-size: 13px; margin-top: 2px; }
.cw-snippet { margin: 8px 0 4px; padding-left: 10px; border-left: 3px solid #f59e0b; white-space: pre-wrap;
              font-size: 14px; }
.cw-snippet mark, .cw-fulltext mark { background: #fde68a; color: inherit; padding: 0 1px; }
.cw-fulltext { white-space: pre-wrap; max-height: 320px; overflow-y: auto; font-size: 13px; margin-top: 6px;
               border-top: 1px dashed var(--border-color-primary); padding-top: 6px; }
.cw-empty { color: var(--body-text-color-subdued); padding: 16px; text-align: center; }
.cw-title h1 { margin-bottom: 0; } .cw-title p { margin-top: 4px; color: var(--body-text-color-subdued); }
@media (max-width: 720px) { .cw-fulltext { max-height: 220px; } }
"""

# Citation markers bring their source card forward; opening an article scrolls to the span.
JS = """
() => {
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a[href^="#cw-src-"]');
    if (!link) return;
    event.preventDefault();
    const card = document.getElementById(link.getAttribute('href').slice(1));
    if (!card) return;
    document.querySelectorAll('.cw-card.cw-active').forEach((c) => c.classList.remove('cw-active'));
    card.classList.add('cw-active');
    card.scrollIntoView({behavior: 'smooth', block: 'nearest'});
  }, true);
  document.addEventListener('toggle', (event) => {
    const box = event.target;
    if (!box.matches || !box.matches('details.cw-article') || !box.open) return;
    const span = document.getElementById(box.dataset.span);
    if (span) span.scrollIntoView({block: 'center'});
  }, true);
}
"""
