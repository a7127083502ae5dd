"""A step of an explanation in both staff languages.

A scheme's ``steps(row)`` returns one :class:`Step` per line: the Chinese sentence staff read on a Chinese page,
workbook or API answer (``steps``), and its English wording for an English page (``steps_en``). Both are written
beside each other in the scheme's module, so a change to one is seen next to the other. A scheme declared outside
the package may still return plain strings: a "中文 / English" text is read as its two halves, any other text
serves as both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class Step(NamedTuple):
    zh: str
    en: str


def as_step(step: Step | str) -> Step:
    if isinstance(step, Step):
        return step
    zh, separator, en = str(step).partition(" / ")
    return Step(zh, en) if separator else Step(zh, zh)


def texts(steps: Iterable[Step | str]) -> tuple[list[str], list[str]]:
    """The Chinese and the English lines of ``steps`` (an answer's ``steps`` and ``steps_en``)."""
    pairs = [as_step(step) for step in steps]
    return [p.zh for p in pairs], [p.en for p in pairs]
