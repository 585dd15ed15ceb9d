"""Documents in every supported format, made by the tests (neutral, made-up content)."""

from __future__ import annotations

from pathlib import Path

NEWS_PAGE = """<!doctype html>
<html><head><title>Harbour council approves pier repairs | The Lakeside Ledger</title>
<meta property="og:site_name" content="The Lakeside Ledger">
<meta name="author" content="Mara Quill">
<meta property="article:published_time" content="2024-03-08T09:30:00Z">
<script>var tracking = "not article text";</script></head>
<body>
<nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/sport">Sport</a></nav>
<header><p>Subscribe to the Ledger for daily news</p></header>
<article>
<h1>Harbour council approves pier repairs</h1>
<p class="byline">By Mara Quill</p>
<p>The Zellmoor harbour council approved a budget of 4.2 million crowns for repairs to the old pier last Tuesday,
officials said in a statement after a long meeting.</p>
<p>The repairs will replace the rotten timber pilings and the cast iron railings, which inspectors described as
unsafe for the summer ferry crowds.</p>
<p>Harbour master Ilse Brandvold said the work would start in April and finish before the regatta in August.</p>
<p>Residents of the old quarter had campaigned for the repairs for three years, collecting more than two thousand
signatures on a petition to the council.</p>
</article>
<aside>Also read: Ferry timetable changes for the spring</aside>
<footer>Copyright 2024 The Lakeside Ledger. All rights reserved. Privacy policy.</footer>
</body></html>
"""

MARKDOWN_NOTE = """# Orchard cooperative — spring **report**

## Harvest

The Fennick orchard cooperative picked *eleven tonnes* of quince in its spring harvest, a record for the valley.

## Members

- The cooperative now has [forty-two members](https://example.org/members) after the Ashdown farms joined.
- Its treasurer is `Wenna Thorncroft`, elected at the March assembly.
"""

PDF_PAGES = [
    [
        "Annual review of the Brisby observatory",
        "",
        "The Brisby observatory recorded four hundred clear nights this year, the most since the dome was",
        "rebuilt. Its new spectrograph was installed in the spring by a team from the coastal institute.",
        "",
        "Director Odile Fairweather thanked the volunteers who kept the telescopes running through the",
        "long winter storms.",
    ],
    [
        "Finances",
        "",
        "The observatory spent ninety thousand crowns on the spectrograph and twelve thousand crowns on",
        "heating the visitor centre, which welcomed nine thousand school pupils during the year.",
    ],
]


def make_pdf(path: Path, pages: list[list[str]] = PDF_PAGES, title: str = "Brisby observatory review") -> Path:
    """A PDF with a text layer: one page per list of lines (a blank line between paragraphs)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_font("Helvetica", size=11)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def make_docx(path: Path) -> Path:
    """A Word file with a title, paragraphs and a table."""
    import docx

    document = docx.Document()
    document.core_properties.title = "Tollgate bridge survey"
    document.add_heading("Tollgate bridge survey", level=1)
    document.add_paragraph("Engineers found that the Tollgate bridge can carry lorries of up to eighteen tonnes.")
    document.add_paragraph("The survey was paid for by the Marlow county roads office.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Span", "Load"
    table.cell(1, 0).text, table.cell(1, 1).text = "North span", "Eighteen tonnes"
    document.save(str(path))
    return path
