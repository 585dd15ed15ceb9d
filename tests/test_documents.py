"""A corpus the user owns: ingest adds, removal is explicit, identity is the file however its
path was typed, and unchanged text is never embedded twice (renames, moves, copies)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rag import Config, document_text, documents, ingest, remove, retrieve
from rag.errors import DocumentNotFoundError

from .conftest import SEEDS
from .test_cli import run

NOTE = "Glenhollow library notes\n\nThe Glenhollow library lends telescopes to members for two weeks.\n"


def _names(config: Config) -> list[str]:
    return [d.source for d in documents(config)]


def test_ingesting_a_folder_or_a_file_adds_and_never_drops_other_documents(built: Config, tmp_path: Path) -> None:
    mine = tmp_path / "mydocs"
    mine.mkdir()
    (mine / "library.txt").write_text(NOTE, encoding="utf-8")
    (mine / "other.md").write_text("# Ferry\n\nThe Glenhollow ferry runs hourly in summer.\n", encoding="utf-8")
    report = ingest([mine], built, progress=False)
    assert sorted(report.added) == ["library.txt", "other.md"] and not report.removed
    assert len(documents(built)) == 7
    single = tmp_path / "single.txt"
    single.write_text("The Glenhollow bakery opens at six.\n", encoding="utf-8")
    report = ingest(single, built, progress=False)  # one file: the rest stays
    assert report.added == ["single.txt"] and not report.removed and len(documents(built)) == 8
    again = ingest([SEEDS], built, progress=False)  # the same articles in another folder: copies
    assert not again.removed and len(documents(built)) == 8 + len(again.added)


def test_identity_does_not_depend_on_how_the_path_was_typed(
    built: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for typed in ("corpus", "./corpus/", "corpus/../corpus", str(built.corpus_dir), "corpus/000_338d512e274bc2d7.txt"):
        report = ingest(typed, built, progress=False)
        assert report.embedded == 0 and not report.added and not report.removed, typed
    assert len(documents(built)) == 5
    info = documents(built)[0]
    assert info.path == str(built.corpus_dir.resolve() / info.source) and info.exists
    assert info.chunks > 0 and info.ingested.endswith("Z") and info.kind == "text"


def test_a_file_deleted_from_a_folder_goes_when_that_folder_is_ingested_again(built: Config, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "library.txt").write_text(NOTE, encoding="utf-8")
    ingest([other], built, progress=False)
    (built.corpus_dir / "004_490dfad3ab3b0151.txt").unlink()
    assert not next(d for d in documents(built) if d.source == "004_490dfad3ab3b0151.txt").exists
    assert not ingest([other], built, progress=False).removed  # another folder: nothing else touched
    report = ingest([built.corpus_dir], built, progress=False)
    assert report.removed == ["004_490dfad3ab3b0151.txt"]
    assert "library.txt" in _names(built) and "004_490dfad3ab3b0151.txt" not in _names(built)


def test_remove_takes_a_name_a_path_or_a_folder_and_an_unknown_name_removes_nothing(
    built: Config, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "library.txt").write_text(NOTE, encoding="utf-8")
    (other / "b.txt").write_text("The Glenhollow bakery opens at six.\n", encoding="utf-8")
    ingest([other], built, progress=False)
    with pytest.raises(DocumentNotFoundError, match="nothing was removed"):
        remove(["000_338d512e274bc2d7.txt", "no-such-article.txt"], built)
    assert len(documents(built)) == 7
    assert remove("000_338d512e274bc2d7.txt", built) == ["000_338d512e274bc2d7.txt"]
    assert remove(str(built.corpus_dir / "001_6ddc891e9fff1a6d.txt"), built) == ["001_6ddc891e9fff1a6d.txt"]
    assert sorted(remove(str(other), built)) == ["b.txt", "library.txt"]
    assert len(documents(built)) == 3 and (other / "b.txt").exists()  # the files stay
    assert all(p.source.startswith(("002", "003", "004")) for p in retrieve("Glenhollow library", k=5, config=built))
    with pytest.raises(DocumentNotFoundError):
        document_text("000_338d512e274bc2d7.txt", built)


def test_a_moved_folder_reingests_with_nothing_embedded(built: Config, tmp_path: Path) -> None:
    before = {d.source: d for d in documents(built)}
    moved = tmp_path / "archive" / "corpus"
    moved.parent.mkdir()
    shutil.move(built.corpus_dir, moved)
    report = ingest([moved], built, progress=False)
    assert report.embedded == 0 and len(report.moved) == 5 and not report.added and not report.removed
    after = {d.source: d for d in documents(built)}
    assert after.keys() == before.keys()  # same names, no duplicates
    assert all(d.path.startswith(str(moved.resolve())) and d.exists for d in after.values())
    answer = retrieve("Who replaced Sutskever as chief scientist?", k=3, config=built)
    assert (moved / answer[0].source).read_text(encoding="utf-8")[answer[0].start : answer[0].end] == answer[0].text


def test_a_renamed_file_and_a_copy_reuse_the_stored_vectors(built: Config, tmp_path: Path) -> None:
    corpus = built.corpus_dir
    (corpus / "000_338d512e274bc2d7.txt").rename(corpus / "resignation.txt")
    report = ingest([corpus], built, progress=False)
    assert report.embedded == 0 and report.moved == [("000_338d512e274bc2d7.txt", "resignation.txt")]
    assert report.reused > 0 and not report.added and not report.removed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(corpus / "resignation.txt", elsewhere / "copy.txt")
    report = ingest([elsewhere], built, progress=False)
    assert report.added == ["copy.txt"] and report.embedded == 0 and report.reused > 0
    hits = retrieve("Jan Leike resigned", k=10, config=built)
    assert {"copy.txt", "resignation.txt"} & {h.source for h in hits}
    for h in hits:
        assert document_text(h.source, built)[h.start : h.end] == h.text


def test_two_files_with_one_name_in_two_folders_get_distinct_names(built: Config, tmp_path: Path) -> None:
    for folder in ("alpha", "beta"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "notes.txt").write_text(f"The {folder} station logs rainfall daily.\n", "utf-8")
    assert ingest([tmp_path / "alpha"], built, progress=False).added == ["notes.txt"]
    assert ingest([tmp_path / "beta"], built, progress=False).added == ["beta/notes.txt"]
    assert ingest([tmp_path / "beta"], built, progress=False).unchanged == ["beta/notes.txt"]  # kept


def test_rebuild_keeps_the_documents_of_other_folders(built: Config, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "library.txt").write_text(NOTE, encoding="utf-8")
    ingest([other], built, progress=False)
    report = ingest(config=built, rebuild=True, progress=False)
    assert sorted(report.added) == sorted(_names(built)) and "library.txt" in report.added


def test_list_and_remove_from_the_command_line(built: Config) -> None:
    table = run(["list"], built)
    assert table.returncode == 0, table.stderr
    assert "000_338d512e274bc2d7.txt" in table.stdout and "AP News" in table.stdout and "5 documents" in table.stdout
    listed = json.loads(run(["list", "--json"], built).stdout)
    assert len(listed) == 5 and {"source", "title", "outlet", "date", "chunks", "ingested", "path"} <= set(listed[0])
    out = run(["remove", "000_338d512e274bc2d7.txt"], built)
    assert out.returncode == 0 and "1 document removed" in out.stdout
    missing = run(["remove", "nope.txt"], built)
    assert missing.returncode == 1 and "Not in the index: 'nope.txt'" in missing.stderr
    assert len(json.loads(run(["list", "--json"], built).stdout)) == 4


def test_a_searcher_already_open_sees_what_is_ingested_and_removed_since(built: Config, tmp_path: Path) -> None:
    from rag.retrieval import searcher

    assert "glenhollow.txt" not in searcher(built).docs  # opened before the change, as a running chat's is
    (tmp_path / "glenhollow.txt").write_text(NOTE, encoding="utf-8")
    ingest([tmp_path / "glenhollow.txt"], built, progress=False)
    assert "glenhollow.txt" in searcher(built).docs
    assert retrieve("Which library lends telescopes?", k=1, config=built)[0].source == "glenhollow.txt"
    remove("glenhollow.txt", built)
    assert "glenhollow.txt" not in searcher(built).docs
