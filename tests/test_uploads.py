"""Adding documents from the web chat: the upload route of ``ui.uploads`` against a real
server on loopback (login, origin, type, size, content, names, how many wait), and what
adding the staged files does to the index."""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rag import Config, ask, documents, ingest
from ui.uploads import MAX_UPLOAD_FILES, STAGED_TTL, Staging, add_staged, safe_name

from .conftest import SEEDS, serving
from .samples import MARKDOWN_NOTE, NEWS_PAGE, make_pdf

HEADERS = {"x-citewise-upload": "1", "content-type": "application/octet-stream"}


@pytest.fixture
def seeded(tmp_path: Path) -> Config:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    config = Config(corpus_dir=corpus, index_dir=tmp_path / "index", embedder="hashing", max_upload_mb=1)
    ingest(config=config, progress=False)
    return config


def upload(
    url: str, name: str, body: bytes | Iterator[bytes], client: httpx.Client | None = None, **headers: str
) -> httpx.Response:
    post = client.post if client is not None else httpx.post
    return post(url + "citewise/upload", params={"name": name}, content=body, headers=HEADERS | headers, timeout=30)


def test_the_upload_route_checks_type_size_content_origin_and_names(seeded: Config) -> None:
    with serving(seeded) as url:
        ok = upload(url, "notes.md", MARKDOWN_NOTE.encode())
        assert ok.status_code == 200 and ok.json()["name"] == "notes.md" and ok.json()["bytes"] > 100
        assert (seeded.uploads() / ".incoming" / ok.json()["token"] / "notes.md").read_text() == MARKDOWN_NOTE

        wrong = upload(url, "setup.exe", b"MZ\x90\x00")
        assert wrong.status_code == 415 and "not a file Citewise reads (.exe)" in wrong.json()["detail"]
        big = upload(url, "huge.txt", b"word " * 300_000)  # 1.5 MB, the limit is 1 MB
        assert big.status_code == 413 and "upload limit of" in big.json()["detail"]
        chunked = upload(url, "stream.txt", iter([b"word " * 100_000] * 3))  # no length given: cut off at 1 MB
        assert chunked.status_code == 413 and "upload limit of" in chunked.json()["detail"]
        binary = upload(url, "photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
        assert binary.status_code == 400 and "binary file" in binary.json()["detail"]
        fake = upload(url, "report.pdf", b"<html>not a pdf</html>")
        assert fake.status_code == 400 and "not a PDF" in fake.json()["detail"]
        empty = upload(url, "empty.md", b"  \n")
        assert empty.status_code == 400 and "empty" in empty.json()["detail"]

        elsewhere = upload(url, "notes.md", b"text", origin="http://evil.example")
        assert elsewhere.status_code == 403
        plain = httpx.post(url + "citewise/upload", params={"name": "notes.md"}, content=b"text")  # no header
        assert plain.status_code == 403
        odd = upload(url, "../../etc/\x00pass\nwd.MD", b"# Odd\n\nA note with an odd name.\n")
        assert odd.status_code == 200 and odd.json()["name"] == "_pass_wd.md"
        # nothing was written outside the staging folder
        staged = [p.name for p in (seeded.uploads() / ".incoming").rglob("*") if p.is_file()]
        assert sorted(staged) == ["_pass_wd.md", "notes.md"]
        # Gradio's own upload route stays closed
        assert httpx.post(url + "gradio_api/upload", files={"files": ("x.txt", b"x")}).status_code == 404


def test_safe_names() -> None:
    assert safe_name("C:\\Users\\me\\My Notes.TXT") == "My Notes.txt"
    assert safe_name(".hidden.md") == "hidden.md"
    assert safe_name("...") == "upload"
    assert safe_name("a" * 500 + ".pdf") == "a" * 100 + ".pdf"
    assert safe_name('re<po>rt|"x"?.html') == "re_po_rt_x_.html"
    assert safe_name("") == "upload"


def test_uploads_need_the_login_when_the_chat_has_one(seeded: Config) -> None:
    with serving(seeded, auth=("reader", "correct horse")) as url:
        anonymous = upload(url, "notes.md", MARKDOWN_NOTE.encode())
        assert anonymous.status_code == 401 and "Log in" in anonymous.json()["detail"]
        with httpx.Client() as client:
            login = client.post(url + "login", data={"username": "reader", "password": "correct horse"})
            assert login.status_code == 200
            assert upload(url, "notes.md", MARKDOWN_NOTE.encode(), client).status_code == 200


def test_without_managing_there_is_no_upload_route_and_no_remove(seeded: Config) -> None:
    from ui.app import build

    with serving(seeded, manage=False) as url:
        assert upload(url, "notes.md", MARKDOWN_NOTE.encode()).status_code == 404
    shown = json.dumps(build(seeded, manage=False).config, default=str)
    assert "cw-remove" not in shown and "cw-drop" not in shown and "Adding and removing documents is off" in shown
    assert "cw-remove" in json.dumps(build(seeded).config, default=str)


def test_anonymous_users_of_another_machine_may_not_change_the_index() -> None:
    from ui.__main__ import may_manage

    assert may_manage("127.0.0.1", None) and may_manage("localhost", None) and may_manage("::1", None)
    assert may_manage("0.0.0.0", ("reader", "secret")) and may_manage("192.168.1.20", ("reader", "secret"))
    assert not may_manage("0.0.0.0", None) and not may_manage("192.168.1.20", None)


def test_only_so_many_files_wait_and_old_ones_expire(seeded: Config) -> None:
    staging = Staging(dataclasses.replace(seeded, max_upload_mb=2))
    folders = [staging.reserve(f"n{i}.md", 10)[0] for i in range(MAX_UPLOAD_FILES)]
    for i, folder in enumerate(folders):
        (folder / f"n{i}.md").write_text("x")
    from ui.uploads import UploadError

    with pytest.raises(UploadError, match="still waiting") as refused:
        staging.reserve("one-more.md", 10)
    assert refused.value.status == 429
    old = time.time() - STAGED_TTL - 1
    for folder in folders:
        import os

        os.utime(folder, (old, old))
    folder, allowed = staging.reserve("one-more.md", 10)  # the expired ones were dropped
    assert folder.is_dir() and allowed == 2_000_000 and len(list(staging.folder.iterdir())) == 1
    (folder / "one-more.md").write_bytes(b"x" * 1_200_000)
    with pytest.raises(UploadError, match=r"1 uploaded files \(1\.2 MB\) are still waiting"):
        staging.reserve("too-much.md", 1_000_000)  # what waits and what comes exceed the limit
    assert staging.reserve("fits.md", None)[1] == 800_000  # sent without a length: what is left


def _stage(config: Config, name: str, data: bytes) -> str:
    folder, _ = Staging(config).reserve(name, len(data))
    (folder / name).write_bytes(data)
    return folder.name


def test_adding_staged_files_ingests_them_and_names_what_could_not_be_read(seeded: Config, tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "observatory.pdf").read_bytes()
    scan = make_pdf(tmp_path / "scan.pdf", pages=[[""]]).read_bytes()
    tokens = [
        _stage(seeded, "observatory.pdf", pdf),
        _stage(seeded, "harbour.html", NEWS_PAGE.encode()),
        _stage(seeded, "scan.pdf", scan),
        "expired-or-made-up-token-0000",
    ]
    seen: list[str] = []
    message, names = add_staged(tokens, seeded, lambda done, desc: seen.append(desc), refused=["x.exe: refused"])
    assert sorted(names) == ["harbour.html", "observatory.pdf"]
    assert message.startswith("Added harbour.html, observatory.pdf. Not added: x.exe: refused; scan.pdf: ")
    assert "OCR" in message and message.endswith("; an upload that has expired (upload it again).")
    assert any(d.startswith("Embedding") for d in seen)
    assert not (seeded.uploads() / "scan.pdf").exists()  # a file that cannot be read is not kept
    listed = {d.source: d for d in documents(seeded)}
    assert listed["harbour.html"].outlet == "The Lakeside Ledger" and listed["observatory.pdf"].pages == 2
    answer = ask("How much did the Zellmoor harbour council approve for the pier?", config=seeded)
    assert answer.citations[0].source == "harbour.html"
    # the same name again: the document is updated, not doubled
    again, _ = add_staged([_stage(seeded, "harbour.html", NEWS_PAGE.replace("4.2", "5.1").encode())], seeded)
    assert again.startswith("Updated harbour.html")
    assert len(documents(seeded)) == 7
    assert add_staged([], seeded)[0].startswith("Nothing to add")
