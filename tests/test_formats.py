"""Every format's document text is what citations index: ``text == document_text(source)[start:end]``
for .txt, .md, .html, .pdf and .docx; for .txt and .md it is the file's own text too (a BOM included)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag import Config, ask, document_text, documents, ingest, retrieve
from rag.corpus import read_document
from rag.formats import plain_markdown, unwrap_lines

from .conftest import SEEDS
from .samples import MARKDOWN_NOTE, NEWS_PAGE, make_docx, make_pdf


def _assert_stored_verbatim(citations, config: Config) -> None:  # type: ignore[no-untyped-def]
    assert citations
    for c in citations:
        assert document_text(c.source, config)[c.start : c.end] == c.text


@pytest.fixture
def mixed(tmp_path: Path) -> Config:
    """The seeds, then a folder of a PDF, a news page, a Markdown note and a Word file added beside them."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    config = Config(corpus_dir=seeds, index_dir=tmp_path / "index", embedder="hashing")
    ingest(config=config, progress=False)
    mine = tmp_path / "mydocs"
    mine.mkdir()
    make_pdf(mine / "observatory.pdf")
    (mine / "harbour.html").write_text(NEWS_PAGE, encoding="utf-8")
    (mine / "orchard.md").write_text(MARKDOWN_NOTE, encoding="utf-8")
    make_docx(mine / "bridge.docx")
    report = ingest([mine], config, progress=False)
    assert sorted(report.added) == ["bridge.docx", "harbour.html", "observatory.pdf", "orchard.md"]
    return config


@pytest.mark.parametrize(
    ("question", "source", "words"),
    [
        ("How many clear nights did the Brisby observatory record?", "observatory.pdf", "four hundred clear nights"),
        ("How much did the Zellmoor harbour council approve for the pier?", "harbour.html", "4.2 million crowns"),
        ("How much quince did the Fennick orchard cooperative pick?", "orchard.md", "eleven tonnes"),
        ("What can the Tollgate bridge carry?", "bridge.docx", "eighteen tonnes"),
    ],
)
def test_each_format_answers_with_a_verbatim_citation_beside_the_seeds(
    mixed: Config, question: str, source: str, words: str
) -> None:
    answer = ask(question, config=mixed)
    assert answer.answerable and answer.citations[0].source == source
    assert words in answer.citations[0].text
    _assert_stored_verbatim(answer.citations, mixed)
    assert len(documents(mixed)) == 9  # the seeds are still there


def test_a_pdf_citation_carries_its_page(mixed: Config) -> None:
    passages = retrieve("spectrograph heating visitor centre pupils crowns", k=10, config=mixed)
    on_pdf = [p for p in passages if p.source == "observatory.pdf"]
    assert on_pdf and all(p.page in (1, 2) for p in on_pdf)
    answer = ask("How many school pupils did the visitor centre welcome?", config=mixed)
    cited = answer.citations[0]
    assert cited.source == "observatory.pdf" and cited.page == 2 and "nine thousand school pupils" in cited.text
    assert cited.to_dict()["page"] == 2 and "page_starts" not in cited.to_dict()
    text = document_text("observatory.pdf", mixed)
    assert text.index("Finances") > text.index("long winter storms")  # pages in order
    info = next(d for d in documents(mixed) if d.source == "observatory.pdf")
    assert info.kind == "pdf" and info.pages == 2 and info.title == "Brisby observatory review"


def test_pdf_lines_are_joined_into_sentences() -> None:
    page = (
        "The council met on Monday and approved the budget for the old\npier, officials said.\n"
        "Short heading\nNext para-\ngraph starts here."
    )
    assert unwrap_lines(page).splitlines() == [
        "The council met on Monday and approved the budget for the old pier, officials said.",
        "Short heading",
        "Next paragraph starts here.",
    ]


def test_a_news_page_gives_its_main_text_and_its_byline_and_date_as_metadata(mixed: Config) -> None:
    info = next(d for d in documents(mixed) if d.source == "harbour.html")
    assert (info.title, info.outlet, info.author, info.date) == (
        "Harbour council approves pier repairs",
        "The Lakeside Ledger",
        "Mara Quill",
        "2024-03-08",
    )
    text = document_text("harbour.html", mixed)
    for chrome in ("Home", "Subscribe to the Ledger", "Also read", "Copyright", "not article text", "By Mara Quill"):
        assert chrome not in text
    # "last Tuesday" is placed by the page's date
    from ui.render import answer_markdown

    answer = ask("When did the Zellmoor harbour council approve the pier budget?", config=mixed)
    assert answer.citations[0].date == "2024-03-08"
    shown = answer_markdown(answer)
    assert "last Tuesday" in shown and "per an article dated 2024\\-03\\-08" in shown


def test_markdown_titles_and_snippets_show_no_markup(mixed: Config) -> None:
    from rag.cli import _describe

    info = next(d for d in documents(mixed) if d.source == "orchard.md")
    assert info.title == "Orchard cooperative — spring report"
    answer = ask("How much quince did the Fennick orchard cooperative pick?", config=mixed)
    cited = answer.citations[0]
    assert cited.source == "orchard.md" and "*eleven tonnes*" in cited.text  # the citation is the file's own text
    shown = _describe(1, cited)
    assert "picked eleven tonnes of quince" in shown and "*" not in shown
    assert plain_markdown("## Sabbatical\n**Paid** leave, see [the policy](https://x.y).") == (
        "Sabbatical\nPaid leave, see the policy."
    )


def test_txt_and_md_offsets_are_the_files_own_with_a_byte_order_mark(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    body = "Quarry notes\n\nThe Ravelston quarry closed in 1987 after the limestone ran out.\n"
    (corpus / "bom.txt").write_bytes(b"\xef\xbb\xbf" + body.encode())
    (corpus / "bom.md").write_bytes(b"\xef\xbb\xbf# Mill notes\n\nThe Ravelston mill ground oats until 1952.\n")
    config = Config(corpus_dir=corpus, index_dir=tmp_path / "index", embedder="hashing")
    ingest(config=config, progress=False)
    questions = [("When did the Ravelston quarry close?", "bom.txt"), ("When did the Ravelston mill stop?", "bom.md")]
    for question, source in questions:
        answer = ask(question, config=config)
        cited = answer.citations[0]
        assert cited.source == source
        own = (corpus / source).read_text(encoding="utf-8")  # the BOM is character 0
        assert own.startswith("\ufeff") and own[cited.start : cited.end] == cited.text
        assert document_text(source, config) == own
    assert {d.title for d in documents(config)} == {"Quarry notes", "Mill notes"}  # no BOM, no "#"
    first = retrieve("Quarry notes", k=5, config=config)
    assert all(not p.text.startswith("\ufeff") for p in first)  # the BOM is never quoted


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("fake.pdf", b"this is not a pdf at all", "not a PDF"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj <<>> garbage", "PDF"),
        ("fake.docx", b"plain text named docx", "not a .docx"),
    ],
)
def test_broken_pdf_and_docx_files_are_skipped_with_a_reason(
    config: Config, name: str, content: bytes, reason: str
) -> None:
    (config.corpus_dir / name).write_bytes(content)
    report = ingest(config=config, progress=False)
    skipped = {s.source: s.reason for s in report.skipped}
    assert reason in skipped[name] and len(report.added) == 5


def test_a_pdf_without_text_is_skipped_with_the_fix(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "scan.pdf", pages=[[""]])
    from rag.errors import CorpusError

    with pytest.raises(CorpusError, match="OCR"):
        read_document(path, "scan.pdf")
