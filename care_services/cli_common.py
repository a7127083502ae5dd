"""What every command module shares: exit codes, the user-error exception, file checks.

A module of its own so that `python -m care_services.cli` (where cli.py runs as __main__) and the command modules
it loads (allocator.command) raise and catch the very same UsageError class.
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(Exception):
    """Bad input from the user: shown as is, exit code 2."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh}\n{en}")


def existing_file(path: str) -> Path:
    file = Path(path)
    if not file.exists() or file.is_dir():  # pipes such as /dev/stdin or <(…) are files to read too
        raise UsageError(f"文件不存在：{path}", f"no such file: {path}")
    return file


def writable(path: str, suffixes: tuple[str, ...]) -> Path:
    file = Path(path)
    if file.suffix.lower() not in suffixes:
        raise UsageError(
            f"输出文件扩展名应为{'/'.join(suffixes)}：{path}", f"the output file must end in {'/'.join(suffixes)}: {path}"
        )
    if not file.parent.exists():
        raise UsageError(f"目录不存在：{file.parent}", f"no such directory: {file.parent}")
    return file


def open_database(url: str | None):
    """The engine for --database (or the default), migrated to the newest schema."""
    from care_services.db import init_db, make_engine

    engine = make_engine(url)
    init_db(engine)  # harmless when the schema is current; saves a step for every command
    return engine
