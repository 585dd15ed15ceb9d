"""``python -m ui`` (or ``rag ui``): serve the web chat.

Binds to 127.0.0.1 by default. Another address requires a user and password (flags or
RAG_UI_USER / RAG_UI_PASSWORD) unless --no-auth is given; uploads and removal are then off
(anonymous users of other machines never change the index). Never a public share link."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def may_manage(host: str, auth: tuple[str, str] | None) -> bool:
    """May users of the chat add and remove documents? On loopback, or behind a login;
    never anonymous users of another machine."""
    return _is_loopback(host) or auth is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rag ui", description="Serve the Citewise web chat.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument("--user", default=os.environ.get("RAG_UI_USER"), help="login name (or RAG_UI_USER)")
    parser.add_argument(
        "--password",
        default=os.environ.get("RAG_UI_PASSWORD"),
        help="login password (visible to other users in `ps`: prefer RAG_UI_PASSWORD or --password-file)",
    )
    parser.add_argument(
        "--password-file",
        default=os.environ.get("RAG_UI_PASSWORD_FILE"),
        help="file whose first line is the login password (or RAG_UI_PASSWORD_FILE)",
    )
    parser.add_argument(
        "--no-auth",
        action="store_true",
        help="serve a non-loopback address without a login (documents can then not be added or removed)",
    )
    parser.add_argument("--corpus-dir", help="folder indexed on first use (default: seeds/, or RAG_CORPUS_DIR)")
    parser.add_argument("--index-dir", help="index folder (default: index/, or RAG_INDEX_DIR)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s", stream=sys.stderr)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

    given = sys.argv[1:] if argv is None else argv
    if any(a == "--password" or a.startswith("--password=") for a in given):
        print(
            "warning: --password is visible to every user of this machine (ps, shell history): "
            "set RAG_UI_PASSWORD or use --password-file instead.",
            file=sys.stderr,
        )
    if args.password_file:
        try:
            lines = open(args.password_file, encoding="utf-8").read().splitlines()  # noqa: SIM115
        except OSError as exc:
            print(f"error: cannot read the password file {args.password_file}: {exc.strerror}", file=sys.stderr)
            return 2
        args.password = lines[0].strip() if lines else ""
    auth = (args.user, args.password) if args.user and args.password else None
    if (args.user or args.password) and not auth:
        print("error: give both --user and --password (or RAG_UI_USER and RAG_UI_PASSWORD).", file=sys.stderr)
        return 2
    if not _is_loopback(args.host) and auth is None and not args.no_auth:
        print(
            f"error: {args.host} is reachable from other machines: set --user and --password "
            "(or RAG_UI_USER / RAG_UI_PASSWORD), or pass --no-auth to serve it without a login.",
            file=sys.stderr,
        )
        return 2

    from rag import Config, RagError, open_index

    try:
        config = Config.from_env(corpus_dir=args.corpus_dir, index_dir=args.index_dir)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        open_index(config)  # loads the index; builds the embedded one on first start, with a progress bar
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from .app import build, launch_options

    manage = may_manage(args.host, auth)
    demo = build(config, manage=manage)
    shown = "localhost" if args.host in ("127.0.0.1", "::1") else args.host
    print(f"Citewise web chat on http://{shown}:{args.port}  (Ctrl+C to stop)", flush=True)
    import gradio as gr

    demo.launch(
        server_name=args.host,
        server_port=args.port,
        auth=auth,
        share=False,
        theme=gr.themes.Soft(),
        footer_links=["api"],
        quiet=True,
        **launch_options(config, manage=manage),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
