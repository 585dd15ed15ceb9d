"""The boilerplate filter is general: documents that are not news pages lose nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.chrome import content_spans, is_attribution, is_chrome_line
from rag.chunking import split_sentences

NON_NEWS = sorted((Path(__file__).parent / "data" / "nonnews").glob("*.txt"))


def _lost(text: str) -> list[str]:
    spans = content_spans(text)
    return [text[a:b] for a, b in split_sentences(text) if not any(x <= a and b <= y for x, y in spans)]


def _kept(text: str) -> str:
    return "\n".join(text[a:b] for a, b in content_spans(text))


def test_there_are_enough_non_news_documents() -> None:
    kinds = {p.name.split("_")[0] for p in NON_NEWS}
    assert len(NON_NEWS) >= 20 and kinds == {"policy", "squad", "scifact"}


@pytest.mark.parametrize("path", NON_NEWS, ids=[p.stem for p in NON_NEWS])
def test_a_non_news_document_loses_no_sentence(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert _lost(text) == []


@pytest.mark.parametrize(
    "line",
    [
        "Credit card expenses must be approved by the cardholder's manager.",
        "Credit card expenses",
        "Reuters reported in 2022 that expense fraud costs firms billions.",
        "Read more about carrying over unused days in section 5.",
        "Read more: the HR intranet has a checklist for the first week back.",
        "Also read the information security policy, which sets out the rules.",
        "Photos by employees may be posted on the intranet.",
        "Courtesy gifts such as a pen may be kept and need not be declared.",
        "Share this policy with new team members during their first week.",
    ],
)
def test_lines_that_start_like_chrome_but_read_as_text_are_kept(line: str) -> None:
    assert not is_chrome_line(line)
    assert _kept(f"Some article text comes first here.\n{line}\nAnd more text follows it.\n").count(line) == 1


@pytest.mark.parametrize(
    "line",
    [
        "Also read: Company names its third chief executive in a year",
        "Read more",
        "Credit: Getty Images",
        "Photo credit: Jane Doe",
        "Reuters/Jane Doe",
        "Image via Getty Images",
        "Courtesy of the company",
        "Skip to main content",
        "Advertisement",
        "Want to stay informed? Our weekly briefing lands in your inbox every Monday.",
    ],
)
def test_short_chrome_lines_are_dropped(line: str) -> None:
    assert is_chrome_line(line)


@pytest.mark.parametrize(
    "line",
    ["Source: Daily Planet", "By Jane Doe", "By Jane Doe and John Roe", "Daily Planet reporting by Jane Doe"],
)
def test_attribution_lines_are_kept(line: str) -> None:
    assert is_attribution(line) and not is_chrome_line(line)
    text = f"Body of the story, told in one sentence.\nAnother sentence of the story here.\n{line}\n"
    assert line in _kept(text)


def _page(tail: str) -> str:
    body = "\n".join(f"Sentence number {i} of the story goes on for a while." for i in range(6))
    return f"{body}\n\n{tail}\n"


def test_a_marked_footer_of_site_talk_is_cut() -> None:
    text = _page(
        "Comment Policy\nYour comments must be constructive and relate to the post.\n"
        "We read every comment before it is published on this site.\nbottom of page"
    )
    assert _kept(text).endswith("Sentence number 5 of the story goes on for a while.")


def test_a_footer_mark_followed_by_the_story_cuts_nothing() -> None:
    text = _page("Comment Policy\nThe minister resigned on Friday after three years in office.\nbottom of page")
    assert _lost(text) == ["bottom of page"]


def test_site_talk_without_a_footer_mark_is_kept() -> None:
    text = _page("Questions? Contact us at the service desk if you are unsure.\nComments on this policy are welcome.")
    assert _lost(text) == []


def test_a_source_line_in_the_middle_does_not_cut_the_rest() -> None:
    text = _page("Source: internal survey\nMost employees take their longest break in August, the survey found.")
    assert _lost(text) == []
