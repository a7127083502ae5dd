"""Schemes declared outside the package, registered without touching the engine or the shipped schemes.

Two ways to declare them:

- a directory on ``CARECALC_SCHEME_PATH`` (directories separated by ``os.pathsep``): every ``*.py`` in it is a
  scheme module written like those of ``subsidy_rules/schemes`` (it calls ``register``), and an optional
  ``parameters/`` folder is a parameter tree laid out like ``subsidy_rules/parameters``;
- an installed package's entry point in the group ``carecalc.schemes`` naming a module; the module's optional
  ``PARAMETERS`` attribute is the path of its parameter tree.

``subsidy_rules.schemes`` loads them after the shipped schemes, so a plugin may use a shipped scheme's result.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from importlib.metadata import entry_points
from pathlib import Path

from subsidy_rules import parameters as parameter_store
from subsidy_rules.engine import REGISTRY

ENVIRONMENT = "CARECALC_SCHEME_PATH"
ENTRY_POINT_GROUP = "carecalc.schemes"
_LOADED: dict[Path, list[str]] = {}  # directory -> the scheme ids it registered


class PluginError(RuntimeError):
    """A plugin directory or module that cannot be loaded; the message names it."""


def load_directory(directory: Path | str) -> list[str]:
    """Register the schemes of a directory (once) and add its parameters; returns the scheme ids it added."""
    import subsidy_rules.schemes  # noqa: F401  (the shipped schemes first: a plugin may use their results)

    directory = Path(directory).resolve()
    if directory in _LOADED:
        return _LOADED[directory]
    if not directory.is_dir():
        raise PluginError(f"方案目录不存在：{directory} / no scheme directory {directory}")
    before = set(REGISTRY)
    for file in sorted(directory.glob("*.py")):
        name = f"carecalc_plugin_{abs(hash(str(directory))):x}_{file.stem}"
        spec = importlib.util.spec_from_file_location(name, file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as error:  # a broken plugin names itself instead of breaking every page
            sys.modules.pop(name, None)
            raise PluginError(f"{file}: {error}") from error
    _LOADED[directory] = sorted(set(REGISTRY) - before)
    if (directory / "parameters").is_dir():
        parameter_store.set_extra_roots([*parameter_store.EXTRA_ROOTS, directory / "parameters"])
    return _LOADED[directory]


def unload_directory(directory: Path | str) -> None:
    """Forget a directory's schemes and parameters (tests, or a plugin being replaced)."""
    directory = Path(directory).resolve()
    for scheme_id in _LOADED.pop(directory, []):
        REGISTRY.pop(scheme_id, None)
    parameter_store.set_extra_roots([r for r in parameter_store.EXTRA_ROOTS if r != directory / "parameters"])


def load_plugins() -> None:
    """The directories of CARECALC_SCHEME_PATH, then the entry points of installed packages."""
    for entry in filter(None, os.environ.get(ENVIRONMENT, "").split(os.pathsep)):
        load_directory(entry)
    for point in entry_points(group=ENTRY_POINT_GROUP):
        module = point.load()
        tree = getattr(module, "PARAMETERS", None)
        if tree and Path(tree) not in parameter_store.EXTRA_ROOTS:
            parameter_store.set_extra_roots([*parameter_store.EXTRA_ROOTS, Path(tree)])
