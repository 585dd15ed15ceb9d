"""The web chat: escaping, the /ask API through gradio_client against a real server on
loopback, and end to end in headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from rag import Answer, Citation, Config, Passage, ingest
from ui.render import answer_markdown, escape_markdown, sources_html

from .conftest import ANSWER_FIELDS, ROOT, SEEDS, assert_verbatim, free_port, serving, wait_until_serving

CHROMIUM = "/usr/bin/chromium"
XSS_ARTICLE = """Quorble project notes
Jan Leike wrote <script>window.__xss = 1</script> about the Quorble project in May.
The Quorble team tested <img src=x onerror="window.__xss = 2"> a picture of the Quorble lab.
Read [the Quorble memo](javascript:window.__xss=3) for details on Quorble funding.
The Quorble formula, written $$E = mc^2$$ in the memo, explains Quorble energy.
"""


def test_corpus_text_is_escaped_for_markdown_and_html() -> None:
    text = "<script>alert(1)</script>[a](javascript:x)"
    p = Citation.of(Passage("x.txt", "<b>T</b>", 0, len(text), text, 1.0), 0, len(text))
    md = answer_markdown(Answer(p.text + " [1]", True, [p]))
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "\\[a\\]\\(javascript:x\\)" in md
    assert '<a href="#cw-src-1-1"' in md  # our own marker is the only live HTML
    panel = sources_html(Answer("", True, [p]), [(p.text, 0)], [p.text])
    assert "<script>" not in panel and "&lt;b&gt;T&lt;/b&gt;" in panel
    assert escape_markdown("*bold* _x_ # h") == "\\*bold\\* \\_x\\_ \\# h"


def test_source_cards_show_outlet_author_and_date() -> None:
    passage = Passage("x.txt", "T", 0, 4, "Text", 1.0, outlet="Daily Planet", date="2024-05-17", author="Jane <Doe>")
    p = Citation.of(passage, 0, 4)
    panel = sources_html(Answer("Text [1]", True, [p]), [(p.text, 0)], [p.text])
    assert "Daily Planet · by Jane &lt;Doe&gt; · 2024-05-17" in panel


def test_a_refusal_shows_no_sources() -> None:
    refusal = Answer("The articles don't answer this question.", False, [])
    assert "don" in answer_markdown(refusal)
    assert "No sources" in sources_html(refusal, [], [])


SEED_WORDS = ["Leike", "Sutskever", "OpenAI", "Altman", "Pachocki", "Brockman", "superalignment", "ChatGPT"]


def test_the_chat_offers_examples_and_a_placeholder_from_its_own_corpus(tmp_path: Path) -> None:
    import json

    from ui.app import build

    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "tests" / "data" / "nonnews", corpus, ignore=shutil.ignore_patterns("*.md"))
    config = Config(corpus_dir=corpus, index_dir=tmp_path / "index", embedder="hashing")
    ingest(config=config, progress=False)
    shown = json.dumps(build(config).config, ensure_ascii=False, default=str)
    assert not [w for w in SEED_WORDS if w.lower() in shown.lower()]
    assert (
        "Ask about: *Code of Conduct*; *Data Retention Policy*" in shown
    )  # the placeholder names the corpus's articles
    assert "What does “Acceptable Use of IT Systems” report?" in shown  # and so do the examples
    configured = dataclasses.replace(config, examples="Who approves expenses?; How long is parental leave? ;")
    assert configured.example_questions() == ["Who approves expenses?", "How long is parental leave?"]
    shown = json.dumps(build(configured).config, ensure_ascii=False, default=str)
    assert "Who approves expenses?" in shown and "What does “" not in shown
    assert Config.from_env({"RAG_EXAMPLES": "A?;B?"}).example_questions() == ["A?", "B?"]


@pytest.fixture(scope="module")
def ui_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """The seeds and a hostile article, embedded by the real model: the API tests check that a
    follow-up is answered and an off-topic question refused, which the answerability model
    decides partly from question-sentence cosines (the hashing embedder's mean nothing)."""
    tmp = tmp_path_factory.mktemp("ui")
    corpus = tmp / "corpus"
    shutil.copytree(SEEDS, corpus)
    (corpus / "quorble.txt").write_text(XSS_ARTICLE, encoding="utf-8")
    config = Config(corpus_dir=corpus, index_dir=tmp / "index", embedder="minilm")
    ingest(config=config, progress=False)
    return config


@pytest.fixture(scope="module")
def server(ui_config: Config) -> Iterator[str]:
    """The real app, served on loopback by the test."""
    with _serve(ui_config) as url:
        yield url


@contextmanager
def _serve(config: Config) -> Iterator[str]:
    """The web chat for ``config`` on a free loopback port; its URL."""
    from ui.app import build, launch_options

    demo = build(config)
    port = free_port()
    demo.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_options(config)
    )
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def test_api_answers_a_question_a_follow_up_and_refuses_off_topic(server: str, ui_config: Config) -> None:
    from gradio_client import Client

    client = Client(server, verbose=False)
    first = client.predict(question="Who replaced Sutskever as chief scientist?", history=[], api_name="/ask")
    assert set(first) == ANSWER_FIELDS
    assert first["answerable"] and first["citations"]
    assert_verbatim(ui_config.corpus_dir, first["citations"])
    follow = client.predict(question="Who took his place?", history=["Why did Jan Leike resign?"], api_name="/ask")
    alone = client.predict(question="Who took his place?", history=[], api_name="/ask")
    assert follow["answerable"] and follow["text"] != alone["text"]
    off = client.predict(question="Zebra giraffe quantum volcano?", history=[], api_name="/ask")
    assert off.pop("text").startswith("The articles don't answer this question.")
    assert 0 <= off.pop("confidence") < 0.5
    assert off == {
        "answerable": False,
        "citations": [],
        "supported_by": [],
        "conflicts": [],
        "answerer": "extractive",
        "model": "",
        "removed": [],
        "notice": "",
    }
    with pytest.raises(Exception, match="empty"):
        client.predict(question="   ", history=[], api_name="/ask")


def test_twenty_concurrent_clients_get_no_errors(server: str) -> None:
    from gradio_client import Client

    questions = [
        "Who replaced Sutskever?",
        "When was the team formed?",
        "What did Brockman write?",
        "Who is Kokotajlo?",
        "What is GPT-4o?",
    ]

    def user(n: int) -> int:
        client = Client(server, verbose=False)
        done, deadline = 0, time.monotonic() + 5
        while time.monotonic() < deadline:
            result = client.predict(question=questions[n % len(questions)], history=[], api_name="/ask")
            assert "text" in result
            done += 1
        return done

    with ThreadPoolExecutor(20) as pool:
        counts = list(pool.map(user, range(20)))
    assert all(c >= 1 for c in counts)


def _browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    return sync_playwright()


ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-sync",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
]


def test_end_to_end_in_a_real_browser(server: str) -> None:
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with _browser() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server)
        page.fill("#cw-question textarea", "Who replaced Sutskever as chief scientist?")
        page.click("#cw-ask")
        page.wait_for_selector("#cw-sources mark", timeout=60_000)
        chat = page.inner_text("#cw-chat")
        assert "Pachocki" in chat and "[1]" in chat
        marked = page.inner_text("#cw-sources .cw-snippet mark")
        assert "Pachocki" in marked
        assert marked in page.inner_text("#cw-sources .cw-snippet")  # highlighted inside its passage
        assert not page.is_visible("#cw-chat .cw-inline")  # the brief sources are for narrow screens
        page.click("#cw-chat a[href='#cw-src-1-1']")
        page.wait_for_selector("#cw-src-1-1.cw-active", timeout=5_000)  # the marker brought its source forward
        page.click("#cw-src-1-1 details summary")
        assert page.is_visible("#cw-span-1-1")
        page.screenshot(path=str(artifacts / "ui-answer.png"), full_page=True)

        page.click("#cw-new")
        page.wait_for_function("!document.querySelector('#cw-sources mark')", timeout=10_000)
        page.fill("#cw-question textarea", "Zebra giraffe quantum volcano?")
        page.click("#cw-ask")
        page.wait_for_selector("#cw-sources .cw-empty >> text=No sources", timeout=60_000)
        assert "don't answer" in page.inner_text("#cw-chat")
        browser.close()


def test_an_article_with_html_and_markdown_renders_as_text(server: str) -> None:
    with _browser() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server)
        for turn, question in enumerate(
            [
                "What did Jan Leike write about the Quorble project?",
                "What did the Quorble team test?",
                "Where can I read the Quorble memo?",
                "How is the Quorble formula written?",
            ],
            start=1,
        ):
            page.fill("#cw-question textarea", question)
            page.click("#cw-ask")
            page.wait_for_function(  # this question's answer is in (a question and an answer per turn)
                f"document.querySelectorAll('#cw-chat .message').length >= {2 * turn}", timeout=60_000
            )
            page.wait_for_function(  # the question is shown with its placeholder, then the answer replaces it
                "q => document.querySelector('#cw-chat').innerText.includes(q)", arg=question, timeout=60_000
            )
            page.wait_for_function(
                "!document.querySelector('#cw-chat').innerText.includes('Searching the')", timeout=60_000
            )
        page.click("#cw-sources .cw-card details summary")
        page.wait_for_timeout(500)
        text = page.inner_text("body")
        assert "<script>window.__xss = 1</script>" in text or "<img src=x onerror" in text
        assert "[the Quorble memo](javascript:window.__xss=3)" in text
        assert "$$E = mc^2$$" in page.inner_text("#cw-chat")  # quoted as written, not typeset as math
        assert page.query_selector("#cw-chat .katex") is None
        assert page.evaluate("window.__xss") is None  # nothing ran
        assert page.query_selector("#cw-sources img") is None and page.query_selector("#cw-chat img") is None
        page.screenshot(path=str(ROOT / "artifacts" / "ui-xss.png"), full_page=True)
        browser.close()


def test_binding_beyond_loopback_requires_auth() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ui", "--host", "0.0.0.0", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "--no-auth" in out.stderr
    out = subprocess.run(
        [sys.executable, "-m", "ui", "--user", "only-a-user"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2 and "password" in out.stderr


def test_the_llm_answerer_streams_into_the_chat_then_shows_the_checked_answer(ui_config: Config) -> None:
    import dataclasses

    from .fake_llm import fake_llm, url

    def reply(messages: list[dict[str, str]]) -> str:
        blocks = messages[1]["content"].split("<passage ")[1:]
        n = next((i for i, b in enumerate(blocks, start=1) if "Pachocki" in b), 1)
        return f"Jakub Pachocki was appointed as chief scientist [{n}]. The moon is made of cheese [{n}]."

    with fake_llm(reply, delay=0.15) as llm, _browser() as p:
        config = dataclasses.replace(ui_config, llm_base_url=url(llm), llm_model="scripted")
        with _serve(config) as app:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(app)
            page.click("button.label-wrap:has-text('Settings')")  # the accordion holding the answerer choice
            page.click("[data-testid='llm-radio-label']")
            page.fill("#cw-question textarea", "Who replaced Sutskever as chief scientist?")
            page.click("#cw-ask")
            # the draft shows while the model is still writing...
            page.wait_for_function(
                "document.querySelector('#cw-chat').innerText.includes('checked against its sources')", timeout=60_000
            )
            # ...then the checked answer replaces it, cited, with the unsupported sentence struck out
            page.wait_for_selector("#cw-sources mark", timeout=60_000)
            chat = page.inner_text("#cw-chat")
            assert "Jakub Pachocki was appointed as chief scientist." in chat and "[1]" in chat
            assert "do not support were removed" in chat and "checked against its sources" not in chat
            assert page.inner_text("#cw-chat del") == "The moon is made of cheese."
            assert "Pachocki" in page.inner_text("#cw-sources mark")
            browser.close()


def test_latex_rendering_is_off_and_the_question_box_is_bounded(ui_config: Config) -> None:
    from ui.app import build

    components = build(ui_config).config["components"]
    chatbot = next(c for c in components if c["type"] == "chatbot")
    assert chatbot["props"]["latex_delimiters"] == []
    box = next(c for c in components if c["props"].get("elem_id") == "cw-question")
    assert box["props"]["max_length"] == ui_config.max_question_chars


def test_the_upload_route_is_closed_and_large_bodies_are_refused(server: str) -> None:
    import httpx

    upload = httpx.post(server + "gradio_api/upload", files={"files": ("x.txt", b"x" * 1000)}, timeout=30)
    assert upload.status_code == 404 and "Uploads are closed" in upload.text
    huge = httpx.post(server + "gradio_api/call/ask", json={"data": ["Who?", ["x" * 3_000_000]]}, timeout=30)
    assert huge.status_code == 413
    fine = httpx.post(server + "gradio_api/call/ask", json={"data": ["Who replaced Sutskever?", [], None]}, timeout=30)
    assert fine.status_code == 200 and "event_id" in fine.json()


def test_logins_are_rate_limited_per_address(ui_config: Config) -> None:
    import httpx

    with serving(ui_config, auth=("reader", "correct horse")) as server:
        url = server + "login"
        codes = [httpx.post(url, data={"username": "reader", "password": f"guess{n}"}).status_code for n in range(5)]
        assert codes == [400] * 5
        blocked = httpx.post(url, data={"username": "reader", "password": "correct horse"})
        assert blocked.status_code == 429 and "Too many login attempts" in blocked.text
        assert blocked.headers["retry-after"] == "60"


def test_the_chat_handler_bounds_what_a_client_sends(ui_config: Config) -> None:
    from ui.app import MAX_MESSAGE_CHARS, bounded_turn

    config = dataclasses.replace(ui_config, max_history=3, max_question_chars=100)
    messages = [{"role": "user", "content": "x" * 100_000}] * 50
    question, kept, earlier = bounded_turn("Why? " * 1000, messages, [f"q{n}?" for n in range(40)], config)
    assert len(question) <= 100 and len(kept) == 6 and earlier == ["q37?", "q38?", "q39?"]
    assert all(len(m["content"]) <= MAX_MESSAGE_CHARS + 1 for m in kept)


def test_a_password_on_the_command_line_warns_and_a_password_file_is_read(tmp_path: Path) -> None:
    env = os.environ | {"RAG_INDEX_DIR": str(tmp_path / "none"), "RAG_CORPUS_DIR": str(tmp_path / "none")}
    args = [sys.executable, "-m", "ui", "--port", str(free_port()), "--user", "reader"]
    shown = subprocess.run([*args, "--password", "hunter2"], capture_output=True, text=True, env=env, timeout=60)
    assert "--password is visible" in shown.stderr and "RAG_UI_PASSWORD" in shown.stderr
    secret = tmp_path / "password"
    secret.write_text("hunter2\n", encoding="utf-8")
    hidden = subprocess.run(
        [*args, "--password-file", str(secret)], capture_output=True, text=True, env=env, timeout=60
    )
    assert "--password is visible" not in hidden.stderr and "give both" not in hidden.stderr
    assert hidden.returncode == 1 and "rag ingest" in hidden.stderr  # got past the login settings to the index
    missing = subprocess.run(
        [*args, "--password-file", str(tmp_path / "nope")], capture_output=True, text=True, env=env, timeout=60
    )
    assert missing.returncode == 2 and "cannot read the password file" in missing.stderr


def _ask(page, question: str, turn: int) -> None:  # type: ignore[no-untyped-def]
    """Ask ``question`` as answer number ``turn`` of the conversation and wait for it."""
    page.fill("#cw-question textarea", question)
    page.click("#cw-ask")
    page.wait_for_selector(f"#cw-sources .cw-for >> text=Sources of answer {turn}", timeout=60_000)


def test_an_older_answers_marker_shows_that_answers_sources(server: str) -> None:
    with _browser() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server)
        _ask(page, "Who replaced Sutskever as chief scientist?", 1)
        first = page.inner_text("#cw-src-1-1 .cw-snippet mark")
        _ask(page, "Why did Jan Leike resign?", 2)
        second = page.inner_text("#cw-src-2-1 .cw-snippet mark")
        assert "Pachocki" in first and first != second
        page.click("#cw-chat a[href='#cw-src-1-1']")  # the first answer's [1]
        page.wait_for_selector("#cw-src-1-1.cw-active", timeout=15_000)
        assert "Sources of answer 1" in page.inner_text("#cw-sources .cw-for")
        assert page.inner_text("#cw-src-1-1 .cw-snippet mark") == first
        page.click("#cw-chat a[href='#cw-src-2-1']")  # and back to the second
        page.wait_for_selector("#cw-src-2-1.cw-active", timeout=15_000)
        assert page.inner_text("#cw-src-2-1 .cw-snippet mark") == second
        page.screenshot(path=str(ROOT / "artifacts" / "ui-older-marker.png"), full_page=True)
        browser.close()


def test_on_a_narrow_screen_the_sources_sit_right_under_the_answer(server: str) -> None:
    with _browser() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        page.goto(server)
        _ask(page, "Who replaced Sutskever as chief scientist?", 1)
        card = page.locator("#cw-chat .cw-inline #cw-in-1-1")
        assert card.is_visible() and "Pachocki" in card.inner_text()
        answer = page.locator("#cw-chat a[href='#cw-src-1-1']").first.bounding_box()
        under = card.bounding_box()
        panel = page.locator("#cw-sources").bounding_box()
        assert answer and under and panel
        assert 0 <= under["y"] - (answer["y"] + answer["height"]) < 200  # right under the answer...
        assert panel["y"] > under["y"] + 300  # ...where the sources panel is far below
        assert under["x"] >= 0 and under["x"] + under["width"] <= 390  # and it fits the screen
        page.click("#cw-chat a[href='#cw-src-1-1']")
        page.wait_for_selector("#cw-in-1-1.cw-active", timeout=5_000)
        page.screenshot(path=str(ROOT / "artifacts" / "ui-narrow.png"), full_page=True)
        browser.close()


def test_upload_answer_from_the_new_documents_then_remove_in_a_real_browser(tmp_path: Path) -> None:
    from .samples import MARKDOWN_NOTE, NEWS_PAGE, make_pdf

    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    config = Config(corpus_dir=corpus, index_dir=tmp_path / "index", embedder="hashing")
    ingest(config=config, progress=False)
    files = tmp_path / "files"
    files.mkdir()
    make_pdf(files / "observatory.pdf")
    (files / "harbour.html").write_text(NEWS_PAGE, encoding="utf-8")
    (files / "setup.exe").write_bytes(b"MZ\x90\x00")
    (files / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with _serve(config) as app, _browser() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(app)
        page.click("button[role=tab]:has-text('Documents')")
        assert "5 documents" in page.inner_text("#cw-documents")
        # dragged and dropped...
        dropped = page.evaluate_handle(
            """(text) => { const dt = new DataTransfer();
                dt.items.add(new File([text], 'orchard.md', {type: 'text/markdown'})); return dt; }""",
            MARKDOWN_NOTE,
        )
        page.dispatch_event(".cw-drop", "drop", {"dataTransfer": dropped})
        page.wait_for_selector("#cw-doc-status >> text=Added orchard.md", timeout=60_000)
        # ...or chosen, bad files among them
        page.set_input_files(".cw-file", [str(files / n) for n in ("observatory.pdf", "harbour.html", "setup.exe")])
        page.wait_for_selector("#cw-doc-status >> text=Added harbour.html", timeout=60_000)
        status = page.inner_text("#cw-doc-status")
        assert "Added harbour.html, observatory.pdf" in status and "setup.exe: not a file Citewise reads" in status
        page.set_input_files(".cw-file", [str(files / "photo.txt")])
        page.wait_for_selector("#cw-doc-status >> text=Nothing was added", timeout=60_000)
        assert "Nothing was added. Not added: photo.txt: a binary file" in page.inner_text("#cw-doc-status")
        listing = page.inner_text("#cw-documents")
        assert "8 documents" in listing and "Harbour council approves pier repairs" in listing
        assert "The Lakeside Ledger" in listing and "2024-03-08" in listing

        page.click("button[role=tab]:has-text('Chat')")
        _ask(page, "How much quince did the Fennick orchard cooperative pick?", 1)
        assert "eleven tonnes" in page.inner_text("#cw-src-1-1 .cw-snippet mark")
        head = page.inner_text("#cw-src-1-1 .cw-head")
        assert "Orchard cooperative — spring report" in head and "#" not in head and "**" not in head
        _ask(page, "How much did the Zellmoor harbour council approve for the pier?", 2)
        card = page.inner_text("#cw-src-2-1")
        assert "Harbour council approves pier repairs" in card and "4.2 million crowns" in card
        assert "The Lakeside Ledger" in card and "2024-03-08" in card
        _ask(page, "How many clear nights did the Brisby observatory record?", 3)
        assert "page 1" in page.inner_text("#cw-src-3-1 .cw-loc")

        page.click("button[role=tab]:has-text('Documents')")
        page.click("#cw-remove-pick input")
        page.keyboard.type("orchard")
        page.click("[role=listbox] [role=option]:has-text('orchard.md')")
        page.click("#cw-remove")
        page.wait_for_selector("#cw-doc-status >> text=Removed orchard.md", timeout=60_000)
        assert "Orchard cooperative" not in page.inner_text("#cw-documents")
        assert not (config.uploads() / "orchard.md").exists()  # an uploaded file goes with its document

        page.click("button[role=tab]:has-text('Chat')")
        page.fill("#cw-question textarea", "How much quince did the Fennick orchard cooperative pick?")
        page.click("#cw-ask")
        # Its only source is gone: the question is refused, nothing is quoted.
        page.wait_for_selector("#cw-sources .cw-empty >> text=No sources", timeout=60_000)
        assert "eleven tonnes" not in page.inner_text("#cw-sources")
        assert "The articles don't answer this question." in page.inner_text("#cw-chat")
        page.click("#cw-chat a[href='#cw-src-1-1']")  # the first answer still shows its quote, and says why no more
        page.wait_for_selector("#cw-src-1-1.cw-active", timeout=15_000)
        assert "removed from the index" in page.inner_text("#cw-src-1-1")
        assert "eleven tonnes" in page.inner_text("#cw-src-1-1 .cw-snippet")
        page.screenshot(path=str(ROOT / "artifacts" / "ui-documents.png"), full_page=True)
        browser.close()


def test_rag_ui_serves_the_corpus_and_index_it_is_given(tmp_path: Path) -> None:
    from gradio_client import Client

    corpus, index = tmp_path / "policies", tmp_path / "policy-index"
    shutil.copytree(ROOT / "tests" / "data" / "nonnews", corpus, ignore=shutil.ignore_patterns("*.md"))
    port = free_port()
    env = os.environ | {"RAG_EMBEDDER": "hashing", "RAG_CORPUS_DIR": str(tmp_path / "none")}
    args = ["--port", str(port), "--corpus-dir", str(corpus), "--index-dir", str(index)]
    process = subprocess.Popen(
        [sys.executable, "-m", "rag", "ui", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_until_serving(process, f"http://127.0.0.1:{port}/", "rag ui", timeout=180)
        assert (index / "chroma.sqlite3").exists()  # built on first start, where it was told
        result = Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
            question="Who approves expense claims?", history=[], api_name="/ask"
        )
        assert result["answerable"] and result["citations"][0]["source"].startswith("policy_")
        assert_verbatim(corpus, result["citations"])
    finally:
        process.terminate()
        process.wait(timeout=30)
