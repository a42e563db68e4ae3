"""The one error type a person sees: a message with the place in the spec it is about."""

from __future__ import annotations

from .ir import Pos


class SpecError(Exception):
    """A fault in a spec, a CLI argument or an input file, reported as `FILE:LINE:COL: message`."""

    def __init__(self, message: str, pos: Pos | None = None, file: str | None = None):
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.file = file if file is not None else (pos.file if pos else None)

    def __str__(self) -> str:
        if self.pos is not None:
            return f"{self.pos}: {self.message}"
        if self.file:
            return f"{self.file}: {self.message}"
        return self.message
