"""A time budget per request: the work of answering one question checks, at its
expensive steps, that the deadline has not passed, and stops with
``RequestTimeoutError`` when it has. One slow request then cannot hold a worker (and
the CPU it shares with everyone else) for minutes.

The deadline lives in a context variable, so concurrent requests (threads of the web
chat) each have their own; a nested budget never extends the one around it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from .config import Config
from .errors import RequestTimeoutError

_deadline: ContextVar[tuple[float, float] | None] = ContextVar("rag_deadline", default=None)

P = ParamSpec("P")
T = TypeVar("T")


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Run the block with a deadline ``seconds`` from now (or the enclosing one, if sooner)."""
    new = (time.monotonic() + seconds, seconds)
    current = _deadline.get()
    if current is not None and current[0] <= new[0]:
        yield
        return
    token = _deadline.set(new)
    try:
        yield
    finally:
        _deadline.reset(token)


@contextmanager
def paused() -> Iterator[None]:
    """Run the block off the clock: its time is added to the current deadline. For work
    that is not the request's own (loading the index, building it on first use)."""
    current = _deadline.get()
    started = time.monotonic()
    try:
        yield
    finally:
        if current is not None and _deadline.get() is not None:
            _deadline.set((current[0] + time.monotonic() - started, current[1]))


def check_budget() -> None:
    """Raise ``RequestTimeoutError`` when the current request is past its deadline."""
    current = _deadline.get()
    if current is not None and time.monotonic() > current[0]:
        raise RequestTimeoutError(
            f"Answering took longer than {current[1]:g} s (RAG_REQUEST_TIMEOUT), so it was stopped: "
            "ask a shorter question, with fewer earlier questions."
        )


def remaining() -> float | None:
    """Seconds left in the current budget (None without one)."""
    current = _deadline.get()
    return None if current is None else max(0.0, current[0] - time.monotonic())


def budgeted(fn: Callable[P, T]) -> Callable[P, T]:
    """Run ``fn(question, history, config, ...)`` within ``config.request_timeout``."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        config = kwargs.get("config", args[2] if len(args) > 2 else None)
        if not isinstance(config, Config):
            return fn(*args, **kwargs)
        with time_budget(config.request_timeout):
            return fn(*args, **kwargs)

    return run
