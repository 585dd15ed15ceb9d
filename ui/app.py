"""The Gradio app: a chat beside the exact source snippets of the current answer, and an
``/ask`` API endpoint returning the same JSON as ``rag ask --json``."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import gradio as gr
from gradio.events import api

from rag import ANSWERERS, Answer, Config, RagError, ask, ask_stream, document_text, documents

from .render import answer_markdown, escape_markdown, placeholder_markdown, sources_html

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


def _sources(answer: Answer, config: Config) -> str:
    contexts = [(c.passage.text, c.passage.start) for c in answer.citations]
    texts = {source: document_text(source, config) for source in {c.source for c in answer.citations}}
    articles = [texts[c.source] for c in answer.citations]
    return sources_html(answer, contexts, articles)


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


def launch_options(config: Config) -> dict[str, Any]:
    """How the app is served (``rag ui`` and the tests alike): the request limits of
    ``ui.limits`` before Gradio, uploads closed, our CSS and script."""
    from starlette.middleware import Middleware

    from .limits import Limits
    from .render import CSS, JS

    return {
        "app_kwargs": {"middleware": [Middleware(Limits)]},
        "max_file_size": 1,
        "css": CSS,
        "js": JS,
    }


def build(config: Config) -> gr.Blocks:
    """The app for ``config`` (not launched)."""

    def respond(
        question: str,
        messages: list[dict[str, Any]],
        questions: list[str],
        k: float,
        answerer: str,
        progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008 - Gradio's idiom
    ) -> Iterator[tuple[Any, ...]]:
        question, messages, questions = bounded_turn(question, messages, questions, config)
        if not question:
            gr.Warning("Type a question about the articles first.")
            yield question, messages, questions, gr.update()
            return
        messages = [
            *messages,
            {"role": "user", "content": escape_markdown(question)},
            {"role": "assistant", "content": THINKING},
        ]
        yield "", messages, questions, gr.update()
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
                        yield gr.update(), messages, questions, gr.update()
            else:
                answer = ask(question, history=questions, config=chosen)
            assert answer is not None
        except RagError as exc:
            messages[-1] = {"role": "assistant", "content": f"**Sorry:** {escape_markdown(str(exc))}"}
            yield gr.update(), messages, questions, EMPTY_SOURCES
            return
        messages[-1] = {"role": "assistant", "content": answer_markdown(answer)}
        # The box was cleared when the question was sent; leave alone what was typed since.
        earlier = [*questions, question][-config.max_history :] if config.max_history else []
        yield gr.update(), messages, earlier, _sources(answer, config)

    def reset() -> tuple[Any, ...]:
        return [], [], EMPTY_SOURCES, ""

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
        with gr.Row(equal_height=False):
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
            with gr.Column(scale=2, min_width=300):
                gr.Markdown("### Sources")
                sources = gr.HTML(EMPTY_SOURCES, elem_id="cw-sources")
        outputs = [box, chat, questions, sources]
        send.click(respond, [box, chat, questions, k, answerer], outputs, api_visibility="private")
        box.submit(respond, [box, chat, questions, k, answerer], outputs, api_visibility="private")
        new.click(reset, None, [chat, questions, sources, box], api_visibility="private")
        api(api_ask, api_name="ask")
    demo.queue(default_concurrency_limit=8, max_size=QUEUE_SIZE)
    app: gr.Blocks = demo
    return app
