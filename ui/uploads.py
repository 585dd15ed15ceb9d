"""Files added to the index from the web chat, through a route of their own.

Gradio's generic upload routes stay closed (``ui.limits``). The documents tab sends each
dropped file as the raw body of ``POST /citewise/upload?name=<its name>``, which:

- exists only when the app may change the index (``rag ui`` on loopback, or behind a
  login), and checks that login itself, as Gradio's routes do (401 without it);
- refuses requests from another site's page (403: the ``Origin`` must be the app's own,
  and a custom header forces browsers to ask first);
- takes one file of a supported type (415) up to ``Config.max_upload_mb`` (413), whose
  first bytes look like that type (400: a binary file named .txt, a .pdf that is not a
  PDF), and keeps it under a name made safe (``safe_name``);
- stages it under a random token, at most ``MAX_UPLOAD_FILES`` files and
  ``Config.max_upload_mb`` in all waiting at once (429), each for ``STAGED_TTL`` seconds.

The tab's "add" step then hands the tokens to ``add_staged``, which reads each file (a
file that cannot be read is named with the reason and changes nothing), moves it to
``Config.uploads()`` and ingests it with a progress bar."""

from __future__ import annotations

import re
import secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rag import SUPPORTED_SUFFIXES as SUPPORTED
from rag import Config, RagError, ingest, read_document

from .limits import DOCUMENT_UPLOAD

UPLOAD_PATH = DOCUMENT_UPLOAD
UPLOAD_HEADER = "x-citewise-upload"
MAX_UPLOAD_FILES = 20
"""Files one upload may add (and files waiting to be added at once)."""
STAGED_TTL = 600.0
"""Seconds an uploaded file waits to be added before it is dropped."""
MAX_NAME_CHARS = 100
"""Characters kept of an uploaded file's name (before its suffix)."""
TYPES = ".txt, .md, .html, .pdf or .docx"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f/\\:*?\"<>|]+")


class UploadError(Exception):
    """An upload refused, with the HTTP status and the message a user sees."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def safe_name(name: str) -> str:
    """An uploaded file's name as it is kept: its last part only (whatever the client's
    separators), control characters, separators and shell-hostile characters replaced,
    no leading dots or spaces (never hidden), at most ``MAX_NAME_CHARS`` characters before
    its suffix, which is lower-cased. A name with nothing left is "upload"."""
    last = re.split(r"[/\\]", name or "")[-1]
    cleaned = _UNSAFE.sub("_", last).strip(" .")
    path = Path(cleaned or "upload")
    suffix = path.suffix.lower() if path.stem else ""
    stem = (path.stem if path.stem else path.name).strip(" .")[:MAX_NAME_CHARS].strip(" .")
    return (stem or "upload") + suffix


def check_type(name: str) -> None:
    """Raise ``UploadError`` (415) unless ``name`` has a suffix Citewise reads."""
    if Path(name).suffix not in SUPPORTED:
        got = Path(name).suffix or "no suffix"
        raise UploadError(415, f"{name}: not a file Citewise reads ({got}); add {TYPES} files.")


def check_content(name: str, head: bytes) -> None:
    """Raise ``UploadError`` (400) when the first bytes of a file do not look like its type."""
    suffix = Path(name).suffix
    if not head.strip():
        raise UploadError(400, f"{name}: the file is empty.")
    if suffix == ".pdf" and head.lstrip()[:5] != b"%PDF-":
        raise UploadError(400, f"{name}: not a PDF (it does not start like one).")
    if suffix == ".docx" and not head.startswith(b"PK\x03\x04"):
        raise UploadError(400, f"{name}: not a Word .docx file (it is not a zip archive).")
    if suffix not in (".pdf", ".docx") and b"\x00" in head:
        raise UploadError(400, f"{name}: a binary file, not text (it contains NUL bytes).")


class Staging:
    """Uploaded files waiting to be added: ``folder/<token>/<safe name>``."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.folder = config.uploads() / ".incoming"  # hidden: never ingested with its folder
        self.max_bytes = config.max_upload_mb * 1_000_000

    def _entries(self) -> list[tuple[Path, float, int]]:
        """(token folder, age in seconds, bytes) of each staged file; expired ones dropped."""
        now = time.time()
        kept = []
        for token in self.folder.iterdir() if self.folder.is_dir() else []:
            try:
                age = now - token.stat().st_mtime
                if age > STAGED_TTL:  # (a folder without its file yet is an upload under way)
                    shutil.rmtree(token, ignore_errors=True) if token.is_dir() else token.unlink(missing_ok=True)
                    continue
                files = [f for f in token.iterdir() if f.is_file()] if token.is_dir() else []
                kept.append((token, age, sum(f.stat().st_size for f in files)))
            except OSError:  # added or dropped meanwhile by another request
                continue
        return kept

    def reserve(self, name: str, declared: int | None) -> tuple[Path, int]:
        """A new token folder for one file, and how many bytes it may hold (what the files
        waiting already leave of the limit); ``UploadError`` when it is too big or too many
        files wait already."""
        if declared is not None and declared > self.max_bytes:
            raise UploadError(413, _too_big(name, declared, self.config))
        waiting = self._entries()
        held = sum(b for _, _, b in waiting)
        if len(waiting) >= MAX_UPLOAD_FILES or held + (declared or 0) > self.max_bytes:
            raise UploadError(
                429,
                f"{name}: {len(waiting)} uploaded files ({held / 1e6:.1f} MB) are still waiting to be added; "
                f"try again in a few minutes (at most {MAX_UPLOAD_FILES} files and "
                f"{self.config.max_upload_mb} MB wait at once).",
            )
        token = self.folder / secrets.token_urlsafe(18)
        token.mkdir(parents=True)
        return token, self.max_bytes - held

    def take(self, token: str) -> Path | None:
        """The staged file of ``token`` (None when the token is unknown or expired)."""
        if not isinstance(token, str) or not _TOKEN.match(token):
            return None
        self._entries()  # drop the expired ones
        folder = self.folder / token
        files = [f for f in folder.iterdir() if f.is_file()] if folder.is_dir() else []
        return files[0] if files else None


def _too_big(name: str, size: int, config: Config) -> str:
    return (
        f"{name}: {size / 1e6:.1f} MB, over the upload limit of {config.max_upload_mb} MB "
        "(RAG_MAX_UPLOAD_MB); split it, or add it with `rag ingest`."
    )


def logged_in(app: Any, cookies: dict[str, str]) -> bool:
    """Does the request carry the login of the Gradio ``app`` (always, when it has none)?
    Read as Gradio's own routes read it; anything unexpected counts as not logged in."""
    try:
        if getattr(app, "auth", None) is None and getattr(app, "auth_dependency", None) is None:
            return True
        if getattr(app, "auth_dependency", None) is not None:
            return False  # a login we do not know how to check: refuse
        cookie = app.cookie_id
        token = cookies.get(f"access-token-{cookie}") or cookies.get(f"access-token-unsecure-{cookie}")
        return bool(token is not None and token in app.tokens)
    except Exception:  # a Gradio we do not understand: refuse
        return False


def same_origin(headers: Any) -> bool:
    """Was the request sent by a page of this app (or by a client that is no browser)?
    (Behind a reverse proxy, the proxy must pass the Host header on.)"""
    origin = str(headers.get("origin") or "")
    if not origin:
        return True
    return urlsplit(origin).netloc.lower() == str(headers.get("host") or "").lower()


def route(config: Config) -> Any:
    """The Starlette route ``POST UPLOAD_PATH`` staging one file for ``config``."""
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    staging = Staging(config)

    async def upload(request: Request) -> JSONResponse:
        try:
            if not logged_in(request.app, dict(request.cookies)):
                raise UploadError(401, "Log in first: adding documents needs the login of this chat.")
            if not same_origin(request.headers) or request.headers.get(UPLOAD_HEADER) != "1":
                raise UploadError(403, "Uploads are accepted from this chat's own page only.")
            raw = request.query_params.get("name", "")
            if len(raw) > 1000:
                raise UploadError(400, "The file name is too long (over 1000 characters): rename the file.")
            name = safe_name(raw)
            check_type(name)
            try:
                declared = int(request.headers["content-length"]) if "content-length" in request.headers else None
            except ValueError:
                declared = None
            folder, allowed = staging.reserve(name, declared)
            target = folder / name
            size, head = 0, b""
            try:
                with target.open("wb") as out:
                    async for piece in request.stream():
                        size += len(piece)
                        if size > allowed:  # sent without a length, or more than it said
                            raise UploadError(413, _too_big(name, size, config))
                        if len(head) < 8192:
                            head += piece[: 8192 - len(head)]
                        out.write(piece)
                check_content(name, head)
            except ClientDisconnect:  # cut off by ui.limits (too big), or the client left
                shutil.rmtree(folder, ignore_errors=True)
                raise UploadError(413, _too_big(name, size, config)) from None
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            return JSONResponse({"token": folder.name, "name": name, "bytes": size})
        except UploadError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    return Route(UPLOAD_PATH, upload, methods=["POST"])


def add_staged(
    tokens: object,
    config: Config,
    progress: Callable[[float | tuple[int, int], str], None] | None = None,
    refused: list[str] | None = None,
) -> tuple[str, list[str]]:
    """Add the staged files of ``tokens`` (the list of tokens the route returned): each is
    read first (a file that cannot be read is named with the reason, and nothing else
    happens to it), then moved to ``config.uploads()`` (replacing an earlier upload of that
    name) and ingested. ``refused``: files the page refused already, named in the message.
    Returns (a message saying what happened, the names of the documents added or updated)."""
    wanted = tokens if isinstance(tokens, list) else []
    problems: list[str] = list(refused or [])
    if not wanted and not problems:
        return "Nothing to add: drop files on the box above first.", []
    staging = Staging(config)
    ready: list[Path] = []
    for token in wanted[:MAX_UPLOAD_FILES]:
        staged = staging.take(token)
        if staged is None:
            problems.append("an upload that has expired (upload it again)")
            continue
        if progress is not None:
            progress((len(ready), len(wanted)), f"Reading {staged.name}")
        try:
            read_document(staged, staged.name)
        except RagError as exc:
            problems.append(f"{staged.name}: {exc}")
            shutil.rmtree(staged.parent, ignore_errors=True)
            continue
        except OSError as exc:
            problems.append(f"{staged.name}: cannot read it ({exc.strerror})")
            shutil.rmtree(staged.parent, ignore_errors=True)
            continue
        ready.append(staged)
    folder = config.uploads()
    folder.mkdir(parents=True, exist_ok=True)
    kept = []
    for staged in ready:
        target = folder / staged.name
        staged.replace(target)
        shutil.rmtree(staged.parent, ignore_errors=True)
        kept.append(target)
    added: list[str] = []
    updated: list[str] = []
    if kept:

        def report(done: int, total: int) -> None:
            if progress is not None:
                progress((done, total), "Embedding the new documents")

        try:
            result = ingest(list(dict.fromkeys(kept)), config, progress=False, on_progress=report)
        except RagError as exc:
            problems.append(str(exc))
        else:
            added = [*result.added, *(new for _, new in result.moved)]
            updated = [*result.updated, *result.unchanged]
            problems += [f"{s.source}: {s.reason}" for s in result.skipped]
    parts = []
    if added:
        parts.append(f"Added {', '.join(added)}.")
    if updated:
        parts.append(f"Updated {', '.join(updated)}.")
    if not parts:
        parts.append("Nothing was added.")
    if problems:
        parts.append("Not added: " + "; ".join(p.rstrip(".") for p in problems) + ".")
    return " ".join(parts), [*added, *updated]
