"""HTML and Markdown for the web chat. Every piece of corpus text passes through
``escape_html`` or ``escape_markdown`` here: an article holding ``<script>``,
``<img onerror=...>`` or a Markdown link shows as text and runs nothing."""

from __future__ import annotations

import html
import re

from rag import Answer, Citation, IndexedDocument, display_text

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def escape_html(text: str) -> str:
    return html.escape(text, quote=True)


def escape_markdown(text: str) -> str:
    """Text that Markdown and HTML both render literally."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


_MARKER_TEXT = re.compile(r"\\\[(\d+)\\\]")  # an escaped "[n]"
ARTICLE_WINDOW = 30_000
"""Characters of a long article shown on each side of the cited span ("Open the whole article")."""


def shown(text: str, source: str) -> str:
    """Text of ``source`` as a reader sees it: Markdown without its markup."""
    return display_text(text, source)


def marker(n: int, turn: int) -> str:
    """A clickable citation marker: it shows card ``n`` of answer ``turn``."""
    return f'<a href="#cw-src-{turn}-{n}" title="Show source {n}">[{n}]</a>'


def article_name(title: str, outlet: str | None, date: str | None) -> str:
    """How an article is named to readers: “title” (outlet, date)."""
    meta = ", ".join(x for x in (outlet, date) if x)
    return f"“{title}”" + (f" ({meta})" if meta else "")


def answer_markdown(answer: Answer, turn: int = 1, names: dict[str, str] | None = None) -> str:
    """The chat message of answer number ``turn`` of a conversation: quoted sentences with
    clickable citation markers, then which articles report it (and, when they disagree,
    each version with its sources, named by ``names``: {source: “title” (outlet, date)}),
    then its sources in brief (shown on narrow screens, right under the answer)."""
    names = dict(names or {})
    for c in answer.citations:
        names.setdefault(c.source, article_name(c.title, c.outlet, c.date))

    def _marker(n: int) -> str:
        return marker(n, turn)

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
                f"{escape_markdown(shown(answer.citations[n - 1].text, answer.citations[n - 1].source))} {_marker(n)}"
                for n in version.cited
                if 0 < n <= len(answer.citations)
            )
            who = ", ".join(names.get(source, source) for source in version.sources)
            lines.append(f"- **{escape_markdown(version.value)}** ({escape_markdown(who)}): {quoted}")
        body = "\n".join(lines)
    else:
        body = " ".join(
            f"{escape_markdown(shown(c.text, c.source))} {_marker(n)}" for n, c in enumerate(answer.citations, start=1)
        )
    for n, c in enumerate(answer.citations, start=1):
        if c.relative_date:
            body += f"\n\n“{escape_markdown(c.relative_date)}” {_marker(n)}: {escape_markdown(c.date_placement)}."
    if answer.notice:
        body = f"*{escape_markdown(answer.notice)}*\n\n" + body
    body += f"\n\n*{escape_markdown(answer.support_line())}*" if answer.supported_by else ""
    return body + "\n\n" + inline_sources_html(answer, turn)


def inline_sources_html(answer: Answer, turn: int) -> str:
    """The sources of an answer in brief, inside its chat message (one line of HTML, so
    Markdown leaves it alone): shown on narrow screens, where the sources panel is far below."""
    if not answer.citations:
        return ""
    cards = "".join(
        f'<div class="cw-icard" id="cw-in-{turn}-{n}"><span class="cw-num">[{n}]</span> '
        f"<b>{escape_html(c.title)}</b>" + (f" · {_meta(c)}" if _meta(c) else "") + f"{_page(c)}<br>"
        f"“{escape_html(' '.join(shown(c.text, c.source).split()))}”</div>"
        for n, c in enumerate(answer.citations, start=1)
    )
    return f'<div class="cw-inline">{cards}</div>'


def _page(p: Citation) -> str:
    return f" · page {p.page}" if p.page else ""


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
    parts = [shown(x, p.source) for x in (context[:a], context[a:b], context[b:])]
    return escape_html(parts[0]) + f"<mark>{escape_html(parts[1])}</mark>" + escape_html(parts[2])


def sources_html(
    answer: Answer, contexts: list[tuple[str, int]], articles: list[str | None], turn: int = 1, question: str = ""
) -> str:
    """The sources panel for answer number ``turn`` (to ``question``): one card per
    citation, with the cited sentence highlighted in its passage and the whole article one
    click away (span highlighted and scrolled to). ``contexts[n]`` is (passage text,
    passage start) and ``articles[n]`` the article text for citation n (None when the
    article has left the index, or changed, since)."""
    if not answer.answerable or not answer.citations:
        return '<div class="cw-empty">No sources: the articles don\'t answer this question, so nothing is quoted.</div>'
    cards = []
    for n, (p, (context, start), article) in enumerate(zip(answer.citations, contexts, articles, strict=True), 1):
        meta = _meta(p)
        cards.append(
            f'<div class="cw-card" id="cw-src-{turn}-{n}">'
            f'<div class="cw-head"><span class="cw-num">[{n}]</span> <b>{escape_html(p.title)}</b></div>'
            + (f'<div class="cw-meta">{meta}</div>' if meta else "")
            + f'<div class="cw-loc"><code>{escape_html(p.source)}</code>{_page(p)}'
            f" · characters [{p.start}, {p.end})</div>"
            f'<blockquote class="cw-snippet">{_highlighted(context, start, p)}</blockquote>'
            + _whole(article, p, f"cw-span-{turn}-{n}")
            + "</div>"
        )
    head = f'<div class="cw-for">Sources of answer {turn}' + (f": “{escape_html(question)}”" if question else "")
    return head + '</div><div class="cw-sources">' + "".join(cards) + "</div>"


def _whole(article: str | None, p: Citation, span_id: str) -> str:
    if article is None:
        return '<div class="cw-meta">This article has been removed from the index, or changed, since this answer.</div>'
    a, b = max(0, p.start - ARTICLE_WINDOW), min(len(article), p.end + ARTICLE_WINDOW)
    before = ("…" if a else "") + shown(article[a : p.start], p.source)
    after = shown(article[p.end : b], p.source) + ("…" if b < len(article) else "")
    return (
        f'<details class="cw-article" id="{span_id}-box"><summary>Open the whole article</summary>'
        f'<div class="cw-fulltext">{escape_html(before)}'
        f'<mark id="{span_id}">{escape_html(shown(article[p.start : p.end], p.source))}</mark>'
        f"{escape_html(after)}</div></details>"
    )


def documents_html(docs: list[IndexedDocument], shown_at_most: int = 500) -> str:
    """The documents panel: every indexed document by title, outlet and date."""
    if not docs:
        return '<div class="cw-empty">The index holds no documents yet: add some below.</div>'
    rows = "".join(
        "<tr>"
        f"<td><b>{escape_html(d.title)}</b></td><td>{escape_html(d.outlet or '')}</td>"
        f"<td>{escape_html(d.date or '')}</td><td>{d.chunks or ''}</td>"
        f"<td>{escape_html(d.ingested.replace('T', ' ')[:16])}</td><td><code>{escape_html(d.source)}</code></td>"
        "</tr>"
        for d in docs[:shown_at_most]
    )
    hidden = len(docs) - shown_at_most
    more = f"<p>… and {hidden} more (<code>rag list</code> shows them all).</p>" if hidden > 0 else ""
    chunks = sum(d.chunks for d in docs)
    return (
        f'<p class="cw-count">{len(docs)} document{"s" if len(docs) != 1 else ""}, {chunks} chunks.</p>'
        '<div class="cw-docs-wrap"><table class="cw-docs"><thead><tr>'
        "<th>Title</th><th>Outlet</th><th>Date</th><th>Chunks</th>"
        f"<th>Added (UTC)</th><th>Source</th></tr></thead><tbody>{rows}</tbody></table></div>{more}"
    )


CSS = """
.cw-sources { display: flex; flex-direction: column; gap: 12px; }
.cw-for { color: var(--body-text-color-subdued); font-size: 13px; margin-bottom: 6px; }
.cw-card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 12px 14px;
           background: var(--background-fill-secondary); transition: box-shadow .3s, border-color .3s; }
.cw-card.cw-active, .cw-icard.cw-active { border-color: #f59e0b; box-shadow: 0 0 0 3px rgba(245, 158, 11, .35); }
.cw-head { font-size: 15px; } .cw-num { color: #b45309; font-weight: 700; }
.cw-meta, .cw-loc { color: var(--body-text-color-subdued); font-size: 13px; margin-top: 2px; }
.cw-snippet { margin: 8px 0 4px; padding-left: 10px; border-left: 3px solid #f59e0b; white-space: pre-wrap;
              font-size: 14px; }
.cw-snippet mark, .cw-fulltext mark { background: #fde68a; color: inherit; padding: 0 1px; }
.cw-fulltext { white-space: pre-wrap; max-height: 320px; overflow-y: auto; font-size: 13px; margin-top: 6px;
               border-top: 1px dashed var(--border-color-primary); padding-top: 6px; }
.cw-empty { color: var(--body-text-color-subdued); padding: 16px; text-align: center; }
.cw-title h1 { margin-bottom: 0; } .cw-title p { margin-top: 4px; color: var(--body-text-color-subdued); }
.cw-inline { display: none; }
.cw-icard { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 6px 8px; margin-top: 6px;
            font-size: 13px; }
.cw-docs-wrap { overflow-x: auto; }
.cw-docs { width: 100%; font-size: 13px; border-collapse: collapse; }
.cw-docs th, .cw-docs td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--border-color-primary); }
.cw-count { color: var(--body-text-color-subdued); }
.cw-drop { border: 2px dashed var(--border-color-primary); border-radius: 10px; padding: 22px 16px; text-align: center;
           cursor: pointer; }
.cw-drop.cw-over, .cw-drop:focus { border-color: #f59e0b; background: rgba(245, 158, 11, .08); outline: none; }
.cw-upload-bar { margin-top: 10px; font-size: 13px; } .cw-upload-bar progress { width: 60%; vertical-align: middle; }
@media (max-width: 720px) {
  .cw-fulltext { max-height: 220px; }
  .cw-inline { display: block; }  /* the sources of each answer right under it */
}
"""

# A citation marker brings its source card forward: on a narrow screen the card under the
# answer; otherwise the card in the sources panel, which shows the sources of the answer
# whose marker was clicked (the chat's select event loads them). Opening an article scrolls
# to the cited span.
JS = """
() => {
  let wanted = null, until = 0;
  const activate = (el) => {
    document.querySelectorAll('.cw-active').forEach((c) => c.classList.remove('cw-active'));
    el.classList.add('cw-active');
    el.scrollIntoView({behavior: 'smooth', block: 'nearest'});
  };
  const settle = () => {
    if (!wanted || Date.now() > until) return;
    const card = document.querySelector('#cw-sources #' + CSS.escape(wanted));
    if (card && !card.classList.contains('cw-active')) activate(card);
  };
  new MutationObserver(settle).observe(document.body, {childList: true, subtree: true});
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a[href^="#cw-src-"]');
    if (!link) return;
    event.preventDefault();
    const id = link.getAttribute('href').slice(1);
    const inline = document.getElementById(id.replace('cw-src-', 'cw-in-'));
    if (inline && inline.offsetParent !== null) { activate(inline); return; }
    wanted = id; until = Date.now() + 15000;
    settle();
  }, true);
  document.addEventListener('toggle', (event) => {
    const box = event.target;
    if (!box.matches || !box.matches('details.cw-article') || !box.open) return;
    const span = document.getElementById(box.id.replace(/-box$/, ''));
    if (span) span.scrollIntoView({block: 'center'});
  }, true);
}
"""

# The drop zone of the documents tab (``gr.HTML(js_on_load=DROP_JS)``: ``element`` is the
# component, ``props.value`` its value). Each file is checked (type, size), then sent on
# its own to the upload route (ui.uploads) with a progress bar; the tokens it returns,
# and what was refused, become the component's value, whose change event adds the files.
DROP_JS = """
let busy = false;
const zone = () => element.querySelector('.cw-drop');
const route = () => ((window.gradio_config && window.gradio_config.root) || location.origin).replace(/\\/$/, '')
  + '/citewise/upload';
const shown = (text, fraction) => {
  const bar = element.querySelector('.cw-upload-bar');
  if (!bar) return;
  bar.hidden = text === null;
  bar.querySelector('.cw-upload-what').textContent = text || '';
  bar.querySelector('progress').value = Math.round(100 * (fraction || 0));
};
const post = (file, i, n) => new Promise((resolve) => {
  const xhr = new XMLHttpRequest();
  xhr.open('POST', route() + '?name=' + encodeURIComponent(file.name));
  xhr.setRequestHeader('Content-Type', 'application/octet-stream');
  xhr.setRequestHeader('X-Citewise-Upload', '1');
  xhr.upload.onprogress = (e) => shown(`Uploading ${file.name} (${i + 1} of ${n})`,
    (i + (e.lengthComputable ? e.loaded / e.total : 0)) / n);
  xhr.onload = () => {
    let body = {};
    try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
    if (xhr.status === 200 && body.token) resolve({token: body.token});
    else resolve({error: (body.detail && String(body.detail).startsWith(file.name)) ? body.detail
      : `${file.name}: ${body.detail || 'refused by the server (' + xhr.status + ')'}`});
  };
  xhr.onerror = () => resolve({error: `${file.name}: the upload failed (the connection was lost)`});
  xhr.send(file);
});
const add = async (files) => {
  if (busy || !files.length) return;
  busy = true;
  const box = zone().dataset, accept = box.accept.split(','), refused = [], tokens = [], ok = [];
  const maxFiles = Number(box.maxFiles), maxBytes = Number(box.maxBytes);
  if (files.length > maxFiles) {
    refused.push(`${files.length} files at once: add at most ${maxFiles} per upload`);
    files = [];
  }
  let total = 0;
  for (const f of files) {
    const dot = f.name.lastIndexOf('.'), suffix = dot > 0 ? f.name.slice(dot).toLowerCase() : '';
    if (!accept.includes(suffix)) {
      refused.push(`${f.name}: not a file Citewise reads (${suffix || 'no suffix'}); add ${box.types} files`);
    } else if (total + f.size > maxBytes) {
      refused.push(`${f.name}: over the upload limit of ${box.maxMb} MB at once (RAG_MAX_UPLOAD_MB)`);
    } else { total += f.size; ok.push(f); }
  }
  for (const [i, f] of ok.entries()) {
    const got = await post(f, i, ok.length);
    if (got.token) tokens.push(got.token); else refused.push(got.error);
  }
  shown(tokens.length ? 'Uploaded: adding to the index…' : null, 1);
  props.value = JSON.stringify({tokens, refused, at: Date.now()});
  setTimeout(() => shown(null), 1500);
  busy = false;
};
element.addEventListener('click', (e) => {
  if (e.target.closest('.cw-drop') && !e.target.closest('input')) element.querySelector('.cw-file').click();
});
element.addEventListener('keydown', (e) => {
  if ((e.key === 'Enter' || e.key === ' ') && e.target.closest('.cw-drop')) {
    e.preventDefault();
    element.querySelector('.cw-file').click();
  }
});
element.addEventListener('change', (e) => {
  if (!e.target.matches || !e.target.matches('.cw-file')) return;
  const files = [...e.target.files];
  e.target.value = '';
  add(files);
});
element.addEventListener('dragover', (e) => { e.preventDefault(); zone().classList.add('cw-over'); });
element.addEventListener('dragleave', () => zone().classList.remove('cw-over'));
element.addEventListener('drop', (e) => {
  e.preventDefault();
  zone().classList.remove('cw-over');
  add([...e.dataTransfer.files]);
});
"""
