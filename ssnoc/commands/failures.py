"""How every command fails: a :class:`~core.errors.NocError` is one line on stderr and exit
status 2, Ctrl-C exits 130 quietly — never a traceback for a mistake a person can fix."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import typer

from core.errors import NocError

EXIT_FAILED = 2
EXIT_INTERRUPTED = 130
P = ParamSpec("P")
R = TypeVar("R")


def clear_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so that a NocError is one line on stderr and exit status 2."""

    @wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except NocError as exc:
            typer.echo(f"ssnoc: {exc}", err=True)
            raise typer.Exit(EXIT_FAILED) from None
        except KeyboardInterrupt:
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return run
