"""The Gradio app: a chat beside the exact source snippets of each answer, a documents tab
(what is indexed; upload and remove when allowed), and an ``/ask`` API endpoint returning
the same JSON as ``rag ask --json``."""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Iterator
from typing import Any

import gradio as gr
from gradio.events import api

from rag import (
    ANSWERERS,
    SUPPORTED_SUFFIXES,
    Answer,
    Config,
    RagError,
    ask,
    ask_stream,
    document_text,
    documents,
    remove,
)

from .render import (
    DROP_JS,
    answer_markdown,
    article_name,
    documents_html,
    escape_html,
    escape_markdown,
    placeholder_markdown,
    sources_html,
)
from .uploads import MAX_UPLOAD_FILES, TYPES, add_staged

MAX_EXAMPLES = 5
MAX_MESSAGE_CHARS = 20_000
"""A chat message sent back by the browser longer than this is shortened (ours are ~3 kB)."""
QUEUE_SIZE = 64
"""Requests waiting for a worker; more are refused ("queue full") rather than piling up."""
EMPTY_SOURCES = '<div class="cw-empty">Ask a question: the sources of the answer appear here.</div>'
THINKING = "*Searching the articles…*"
CHECKING = "*(writing; each sentence is checked against its sources when done…)*"


def _answerer_info(config: Config) -> str:
    model = config.llm_model_path or (f"{config.llm_model} at {config.llm_base_url}" if config.llm_base_url else "")
    if model:
        return f"extractive quotes the articles; llm lets {model} write the answer, then checks every sentence."
    return "extractive quotes the articles. For llm, start the server with RAG_LLM_BASE_URL or RAG_LLM_MODEL_PATH."


def corpus_titles(config: Config) -> list[str]:
    """The distinct titles of the indexed articles, in source order (none if the index
    cannot be read: the chat itself then says why)."""
    try:
        docs = documents(config)
    except RagError:
        return []
    return list(dict.fromkeys(d.title for d in docs if d.title))


def _shortened(title: str, width: int) -> str:
    return title if len(title) <= width else title[: width - 1].rsplit(" ", 1)[0] + "…"


def example_questions(config: Config, titles: list[str]) -> list[str]:
    """RAG_EXAMPLES when set, else one question per article title."""
    return config.example_questions() or [f"What does “{_shortened(t, 80)}” report?" for t in titles[:MAX_EXAMPLES]]


def _sources(answer: Answer, config: Config, turn: int = 1, question: str = "") -> str:
    """The sources panel of an answer. An article removed or changed since the answer (its
    text no longer holds the citation at its offsets) is said to be so, the quote kept."""
    texts: dict[str, str | None] = {}
    for source in {c.source for c in answer.citations}:
        try:
            texts[source] = document_text(source, config)
        except RagError:
            texts[source] = None
    articles = [
        texts[c.source] if (texts[c.source] or "")[c.start : c.end] == c.text else None for c in answer.citations
    ]
    contexts = [
        (c.passage.text, c.passage.start) if article is not None else (c.text, c.start)
        for c, article in zip(answer.citations, articles, strict=True)
    ]
    return sources_html(answer, contexts, articles, turn, question)


def _names(config: Config) -> dict[str, str]:
    """{source: “title” (outlet, date)} of the indexed articles."""
    try:
        docs = documents(config)
    except RagError:
        return {}
    return {d.source: article_name(d.title, d.outlet, d.date) for d in docs}


def bounded_turn(
    question: str, messages: list[dict[str, Any]], questions: list[str], config: Config
) -> tuple[str, list[dict[str, Any]], list[str]]:
    """What one turn of the chat may carry, whatever a client sends to the handler: the
    question shortened to ``max_question_chars``, the newest ``2 * max_history`` chat
    messages (each shortened) and the newest ``max_history`` earlier questions."""
    question = (question or "")[: config.max_question_chars].strip()
    kept = [m for m in (messages or []) if isinstance(m, dict)][-2 * config.max_history :] if config.max_history else []
    shortened = []
    for m in kept:
        content = m.get("content")
        if isinstance(content, str) and len(content) > MAX_MESSAGE_CHARS:
            m = {**m, "content": content[:MAX_MESSAGE_CHARS] + "…"}
        shortened.append(m)
    earlier = [q for q in (questions or []) if isinstance(q, str)][-config.max_history :] if config.max_history else []
    return question, shortened, earlier


def launch_options(config: Config, manage: bool = True) -> dict[str, Any]:
    """How the app is served (``rag ui`` and the tests alike): the request limits of
    ``ui.limits`` before Gradio (Gradio's own upload routes closed), the document upload
    route of ``ui.uploads`` only when ``manage`` (the documents can be changed), our CSS
    and script."""
    from starlette.middleware import Middleware

    from .limits import Limits
    from .render import CSS, JS
    from .uploads import route

    upload = config.max_upload_mb * 1_000_000 if manage else 0
    return {
        "app_kwargs": {
            "middleware": [Middleware(Limits, max_upload_bytes=upload)],
            "routes": [route(config)] if manage else [],
        },
        "max_file_size": 1,
        "css": CSS,
        "js": JS,
    }


def build(config: Config, manage: bool = True) -> gr.Blocks:
    """The app for ``config`` (not launched). ``manage``: documents can be uploaded and
    removed (``rag ui`` allows it on loopback or behind a login, never to anonymous users
    of another address); otherwise the documents tab only lists them, and no handler
    that changes the index exists."""

    def respond(
        question: str,
        messages: list[dict[str, Any]],
        questions: list[str],
        k: float,
        answerer: str,
        turns: dict[str, Any],
        progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008 - Gradio's idiom
    ) -> Iterator[tuple[Any, ...]]:
        sent = len(messages or [])
        question, messages, questions = bounded_turn(question, messages, questions, config)
        turns = _shifted(turns, sent - len(messages))
        if not question:
            gr.Warning("Type a question about the articles first.")
            yield question, messages, questions, gr.update(), turns
            return
        messages = [
            *messages,
            {"role": "user", "content": escape_markdown(question)},
            {"role": "assistant", "content": THINKING},
        ]
        yield "", messages, questions, gr.update(), turns
        chosen = dataclasses.replace(config, k=int(k), answerer=answerer if answerer in ANSWERERS else config.answerer)
        try:
            answer = None
            if chosen.answerer == "llm":  # stream the model's draft, then show the checked answer
                draft = ""
                for item in ask_stream(question, questions, chosen):
                    if isinstance(item, Answer):
                        answer = item
                    else:
                        draft += item
                        messages[-1] = {"role": "assistant", "content": f"{escape_markdown(draft)} {CHECKING}"}
                        yield gr.update(), messages, questions, gr.update(), turns
            else:
                answer = ask(question, history=questions, config=chosen)
            assert answer is not None
        except RagError as exc:
            messages[-1] = {"role": "assistant", "content": f"**Sorry:** {escape_markdown(str(exc))}"}
            yield gr.update(), messages, questions, EMPTY_SOURCES, {**turns, "shown": None}
            return
        turn = int(turns.get("next", 1))
        messages[-1] = {"role": "assistant", "content": answer_markdown(answer, turn, _names(config))}
        # Each answer keeps its sources: a marker in an older message shows them again.
        kept = {i: v for i, v in turns.get("answers", {}).items() if i < len(messages)}
        turns = {"next": turn + 1, "answers": {**kept, len(messages) - 1: (turn, question, answer)}}
        turns["shown"] = len(messages) - 1
        # The box was cleared when the question was sent; leave alone what was typed since.
        earlier = [*questions, question][-config.max_history :] if config.max_history else []
        yield gr.update(), messages, earlier, _sources(answer, config, turn, question), turns

    def show_sources(turns: dict[str, Any], evt: gr.SelectData) -> tuple[Any, ...]:
        """The sources of the answer whose message was clicked (its marker, or anywhere in it)."""
        index = evt.index if isinstance(evt.index, int) else None
        entry = turns.get("answers", {}).get(index)
        if entry is None or turns.get("shown") == index:
            return gr.update(), turns
        turn, question, answer = entry
        return _sources(answer, config, turn, question), {**turns, "shown": index}

    def reset() -> tuple[Any, ...]:
        return [], [], EMPTY_SOURCES, "", {}

    def api_ask(question: str, history: list[str] | None = None, answerer: str | None = None) -> dict[str, Any]:
        """Answer a question from the articles. `history`: earlier questions, oldest first;
        `answerer`: "extractive" or "llm" (default: the server's setting).
        Returns {text, answerable, citations: [{source, title, start, end, text, score, ...}], ...}."""
        chosen = dataclasses.replace(config, answerer=answerer) if answerer in ANSWERERS else config
        try:
            return ask(question, history=list(history or []), config=chosen).to_dict()
        except RagError as exc:
            raise gr.Error(str(exc)) from None

    titles = corpus_titles(config)
    with gr.Blocks(title="Citewise") as demo:
        gr.HTML(
            '<div class="cw-title"><h1>Citewise</h1><p>Answers from the articles only. Every sentence is '
            "quoted from an article and cited to its exact place in it.</p></div>"
        )
        questions = gr.State([])
        turns = gr.State({})
        tabs = gr.Tabs(elem_id="cw-tabs")
        with tabs, gr.Tab("Chat", id="chat"), gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chat = gr.Chatbot(
                    label="Conversation",
                    height=460,
                    elem_id="cw-chat",
                    feedback_options=None,
                    latex_delimiters=[],  # "$$…$$" in an article is quoted text, not math
                    placeholder=placeholder_markdown([_shortened(t, 60) for t in titles]),
                )
                with gr.Row():
                    box = gr.Textbox(
                        placeholder="Ask a question…",
                        show_label=False,
                        scale=5,
                        autofocus=True,
                        elem_id="cw-question",
                        max_lines=4,
                        max_length=config.max_question_chars,
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="cw-ask", min_width=80)
                examples = example_questions(config, titles)
                if examples:
                    gr.Examples(examples, inputs=box, label="Try")
                with gr.Row():
                    new = gr.Button("New conversation", size="sm", elem_id="cw-new")
                with gr.Accordion("Settings", open=False):
                    k = gr.Slider(1, 10, value=config.k, step=1, label="Passages to read per question")
                    answerer = gr.Radio(
                        list(ANSWERERS),
                        value=config.answerer,
                        label="Answerer",
                        info=_answerer_info(config),
                        elem_id="cw-answerer",
                    )
            with gr.Column(scale=2, min_width=300, elem_id="cw-sources-col"):
                gr.Markdown("### Sources")
                sources = gr.HTML(EMPTY_SOURCES, elem_id="cw-sources")
        with tabs, gr.Tab("Documents", id="documents", elem_id="cw-documents-tab"):
            _documents_tab(config, manage)
        outputs = [box, chat, questions, sources, turns]
        inputs = [box, chat, questions, k, answerer, turns]
        send.click(respond, inputs, outputs, api_visibility="private")
        box.submit(respond, inputs, outputs, api_visibility="private")
        chat.select(show_sources, [turns], [sources, turns], api_visibility="private")
        new.click(reset, None, [chat, questions, sources, box, turns], api_visibility="private")
        chat.clear(reset, None, [chat, questions, sources, box, turns], api_visibility="private")
        api(api_ask, api_name="ask")
    demo.queue(default_concurrency_limit=8, max_size=QUEUE_SIZE)
    app: gr.Blocks = demo
    return app


def _shifted(turns: dict[str, Any], dropped: int) -> dict[str, Any]:
    """The answers kept per message index, after the oldest ``dropped`` messages left."""
    if not turns or dropped <= 0:
        return turns or {}
    answers = {i - dropped: v for i, v in turns.get("answers", {}).items() if i - dropped >= 0}
    return {**turns, "answers": answers, "shown": None}


def _listing(config: Config) -> tuple[str, list[tuple[str, str]]]:
    """The documents table and the choices of the remove picker: (label, source)."""
    try:
        docs = documents(config)
    except RagError as exc:
        return f'<div class="cw-empty">{escape_html(str(exc))}</div>', []
    return documents_html(docs), [(f"{d.title} — {d.source}", d.source) for d in docs[:2000]]


def _refreshed(config: Config) -> tuple[str, Any]:
    listing, choices = _listing(config)
    return listing, gr.update(choices=choices, value=[])


def _drop_zone(config: Config) -> str:
    """The drop zone of the documents tab (its script is ``render.DROP_JS``)."""
    accept = ",".join(sorted(SUPPORTED_SUFFIXES))
    return (
        f'<div class="cw-drop" tabindex="0" role="button" aria-label="Add documents" data-accept="{accept}" '
        f'data-max-files="{MAX_UPLOAD_FILES}" data-max-bytes="{config.max_upload_mb * 1_000_000}" '
        f'data-max-mb="{config.max_upload_mb}" data-types="{html.escape(TYPES)}">'
        f'<input type="file" class="cw-file" multiple accept="{accept}" hidden>'
        f"<div><b>Drop files here to add them</b>, or click to choose: {html.escape(TYPES)}; "
        f"at most {MAX_UPLOAD_FILES} files and {config.max_upload_mb} MB at once.</div>"
        '<div class="cw-upload-bar" hidden><progress max="100" value="0"></progress> '
        '<span class="cw-upload-what"></span></div></div>'
    )


MAX_STAGED_VALUE = 20_000
"""Characters of the drop zone's report (tokens and refusals) a handler reads."""


def _documents_tab(config: Config, manage: bool) -> None:
    """What is indexed; with ``manage``, add (drag and drop) and remove."""
    listing, choices = _listing(config)
    if not manage:
        gr.HTML(listing, elem_id="cw-documents")
        gr.Markdown(
            "Adding and removing documents is off: this chat is served to other machines without a login. "
            "Use `rag ingest` and `rag remove` on the server, or serve it with `--user` and a password."
        )
        return
    drop = gr.HTML("", html_template=_drop_zone(config), js_on_load=DROP_JS, elem_id="cw-drop")
    status = gr.Markdown("", elem_id="cw-doc-status")
    with gr.Row():
        pick = gr.Dropdown(
            choices=choices,
            multiselect=True,
            label="Remove from the index",
            elem_id="cw-remove-pick",
            scale=4,
        )
        drop_button = gr.Button("Remove", variant="stop", elem_id="cw-remove", scale=1)
    table = gr.HTML(listing, elem_id="cw-documents")
    refresh = gr.Button("Refresh the list", size="sm", elem_id="cw-refresh")

    def on_staged(report: str | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        """Add the files the drop zone staged (its value: {tokens, refused})."""
        try:
            data = json.loads((report or "")[:MAX_STAGED_VALUE]) if report else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return gr.update(), gr.update(), gr.update()
        refused = [str(r)[:300] for r in (data.get("refused") or [])[: MAX_UPLOAD_FILES + 1] if isinstance(r, str)]

        def report_progress(done: float | tuple[int, int], desc: str) -> None:
            progress(done, desc=desc, unit="texts" if desc.startswith("Embedding") else "files")

        message, _ = add_staged(data.get("tokens") or [], config, report_progress, refused=refused)
        if "Not added" in message:
            gr.Warning(message)
        return (escape_markdown(message), *_refreshed(config))

    def on_remove(sources: list[str] | None) -> tuple[Any, ...]:
        chosen = [s for s in (sources or []) if isinstance(s, str)][:2000]
        if not chosen:
            return ("Pick the documents to remove first.", *_refreshed(config))
        try:
            removed = remove(chosen, config)
            message = f"Removed {', '.join(removed)}."
        except RagError as exc:
            message = str(exc)
        return (escape_markdown(message), *_refreshed(config))

    drop.change(on_staged, [drop], [status, table, pick], api_visibility="private", concurrency_limit=1)
    drop_button.click(on_remove, [pick], [status, table, pick], api_visibility="private", concurrency_limit=1)
    refresh.click(lambda: _refreshed(config), None, [table, pick], api_visibility="private")
