"""No personal data in any log (OWASP ASVS 7.1.1, 8.3.5): every log record of the process is redacted when it is
made — its message, its arguments and its traceback — before any handler (a file, the console, a test's capture)
sees it.

What is taken out: runs of eight or more digits, single spaces between them allowed (ID numbers, disability
certificate numbers, bank accounts, phone numbers), and the rows and keys a database quotes back in its error
details (PostgreSQL's ``Failing row contains (…)`` and ``Key (…)=(…)``, which hold names and flags). Database
errors carry no statement parameters at all: care_services.db makes every engine with ``hide_parameters=True``.
"""

from __future__ import annotations

import logging
import re
import traceback

_DIGITS = re.compile(r"(?<![\w.])\d(?: ?\d){6,}[\dXx]?(?![\w.])|\d{17}[\dXx]\d{0,2}")
_ROW = re.compile(r"(Failing row contains )\(.*?\)(?=\.?\s*$|\.?\n)", re.M)
_KEY = re.compile(r"(Key \([^)]*\)=)\(.*?\)")
_PARAMETERS = re.compile(r"(\[parameters: ).*?(\])(?=\s*(?:\n|\(Background|$))", re.S)
MASK = "***"


def redact(text: str) -> str:
    if not text:
        return text
    text = _ROW.sub(rf"\1({MASK})", text)
    text = _KEY.sub(rf"\1({MASK})", text)
    text = _PARAMETERS.sub(rf"\1{MASK}\2", text)
    return _DIGITS.sub(MASK, text)


_installed = False


def install() -> None:
    """Redact every record made from now on in this process (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its message: keep the bare message
            message = str(record.msg)
        record.msg, record.args = redact(message), ()
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
