from __future__ import annotations

from pathlib import Path

import pytest

from rag import Config, ingest, retrieve
from rag.chrome import content_spans
from rag.corpus import load_corpus, read_document
from rag.errors import CorpusError

from .conftest import SEEDS

CHROME = [
    "Skip to page content",
    "Parrot Coin",
    "PRC Comment Policy",
    "Keep Digging",
    "top of page",
    "bottom of page",
    "Sign Up",
    "Adam Pardee",
    "Courtesy of OpenAI",
    "Also read:",
    "Earn more PRC tokens",
    "biz360tv",
    "Want to stay ahead",
    "See More",
]
ATTRIBUTION = ["Cryptopolitan reporting by Aamir Sheikh", "Source: AP News"]  # evidence of who reported it


def test_seed_metadata() -> None:
    _, docs, skipped = load_corpus([SEEDS])
    by = {d.source: d for d in docs}
    assert not skipped and len(docs) == 5
    assert by["002_ef3a2d8c7056d914.txt"].outlet == "AP News"
    assert by["001_6ddc891e9fff1a6d.txt"].outlet == "Cryptopolitan"
    assert by["001_6ddc891e9fff1a6d.txt"].author == "Aamir Sheikh"
    assert by["004_490dfad3ab3b0151.txt"].date == "2024-05-17"
    assert by["003_75fce2261b805b1d.txt"].title == "OpenAI disperses 'superalignment' safety team"
    assert by["002_ef3a2d8c7056d914.txt"].title.startswith("Former OpenAI Leader Jan Leike")
    assert all(len(d.sha256) == 64 for d in docs)


def test_chrome_is_outside_the_content_spans_and_the_article_inside() -> None:
    for path in SEEDS.glob("*.txt"):
        text = path.read_text(encoding="utf-8")
        content = "\n".join(text[a:b] for a, b in content_spans(text))
        for phrase in CHROME:
            assert phrase not in content, (path.name, phrase)
        for line in ATTRIBUTION:
            assert line not in text or line in content, (path.name, line)
    text = (SEEDS / "003_75fce2261b805b1d.txt").read_text(encoding="utf-8")
    content = "\n".join(text[a:b] for a, b in content_spans(text))
    assert "Pachocki was appointed as chief scientist" in content
    assert "Jan Leike resigns from OpenAI on May 14, 2024." in content  # a caption, kept: it is evidence
    assert "OpenAI CTO Greg Brockman" in content


def test_html_is_reduced_to_article_text(tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    page.write_text(
        "<html><head><title>Big news</title><meta property='og:site_name' content='Daily Planet'>"
        "<script>var x = 'not text';</script></head><body><nav>Home | World</nav>"
        "<h1>Big news</h1><p>Leike resigned on Friday &amp; left.</p><p>Schulman took over.</p>"
        "<footer>Copyright</footer></body></html>",
        encoding="utf-8",
    )
    doc = read_document(page, "a.html")
    assert doc.title == "Big news" and doc.outlet == "Daily Planet"
    assert "Leike resigned on Friday & left." in doc.text
    assert "not text" not in doc.text and "Home | World" not in doc.text and "Copyright" not in doc.text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("caf\u00e9 au lait".encode("latin-1"), "UTF-8"),
    ],
)
def test_bad_files_are_skipped_with_a_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    (tmp_path / "bad.txt").write_bytes(content)
    (tmp_path / "good.txt").write_text("Leike resigned. Schulman took over the team.", encoding="utf-8")
    _, docs, skipped = load_corpus([tmp_path])
    assert [d.source for d in docs] == ["good.txt"]
    assert [s.source for s in skipped] == ["bad.txt"] and reason in skipped[0].reason


def test_an_empty_or_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="No usable document"):
        load_corpus([tmp_path])
    with pytest.raises(CorpusError, match="not found"):
        load_corpus([tmp_path / "nope"])


def test_headlines_that_start_like_chrome_are_kept() -> None:
    text = "Related IgA1 and IgG producing cells in blood and diseased mucosa in ulcerative colitis.\n\nBody text.\n"
    assert text[slice(*content_spans(text)[0])].startswith("Related IgA1")
    promo = "Article body here.\nRelated articles\nAlso read: something else\nAdvertisement\n"
    kept = "".join(promo[a:b] for a, b in content_spans(promo))
    assert kept == "Article body here."


def test_bylines_and_source_lines_become_metadata(tmp_path: Path) -> None:
    cases = {
        "a.txt": (
            "Budget approved\n\nBy Jane Doe\n\nThe council approved the budget on Monday night.\n",
            None,
            "Jane Doe",
        ),
        "b.txt": ("The council approved the budget on Monday night.\nSource: Daily Planet\n", "Daily Planet", None),
        "c.txt": ("The council approved the budget.\nDaily Planet reporting by John Roe\n", "Daily Planet", "John Roe"),
        "d.txt": ("Leave policy\nSource: internal survey\nMost staff take leave in August.\n", None, None),
        "e.txt": ("By law, records must be kept for seven years by the company.\n", None, None),
    }
    for name, (text, outlet, author) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        doc = read_document(tmp_path / name, name)
        assert (doc.outlet, doc.author) == (outlet, author), name
        spans = content_spans(text)
        for line in text.splitlines():  # attribution lines stay quotable
            assert not line.strip() or any(text[a:b].count(line) for a, b in spans), (name, line)


def test_a_symlink_out_of_the_corpus_is_not_followed(config: Config, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("The launch code of the Quorble vault is 4242, said the Quorble keeper.\n", encoding="utf-8")
    (config.corpus_dir / "passwd.txt").symlink_to(secret)
    (config.corpus_dir / "inside.txt").symlink_to(config.corpus_dir / "000_338d512e274bc2d7.txt")
    report = ingest(config=config, progress=False)
    reasons = {s.source: s.reason for s in report.skipped}
    assert "outside the corpus folder: not followed" in reasons["passwd.txt"]
    assert "inside.txt" in report.added  # a link that stays inside the corpus is read
    assert not any("Quorble" in p.text for p in retrieve("Quorble vault launch code", k=10, config=config))


def test_a_file_name_that_is_not_utf8_is_skipped_and_the_rest_ingested(config: Config) -> None:
    import os

    name = os.fsdecode(b"caf\xe9-news.txt")  # Latin-1 bytes in the name
    (config.corpus_dir / name).write_text("Quorble news from the cafe about the Quorble project.\n", encoding="utf-8")
    report = ingest(config=config, progress=False)
    assert [s.reason for s in report.skipped] == ["the file name is not valid UTF-8: rename it"]
    assert report.skipped[0].source == "caf\\xe9-news.txt"  # printable
    assert len(report.added) == 5
    assert ingest(config=config, rebuild=True, progress=False).added  # a rebuild works too
