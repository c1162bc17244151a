"""Every example in the package's docstrings runs and prints what it shows (doctest).

An example that needs a built model, a store or the shared corpus says so with
``# doctest: +SKIP``; the rest run here, so the examples a reader copies stay true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("ingest", "corpus", "index", "service", "eval")
NOT_IMPORTED = {"regkb.eval.bench.locustfile"}  # locust's own entry point: importing it patches the process (gevent)


def package_modules() -> list[str]:
    """Every module of the packages and of their subpackages, at any depth."""
    names = []
    for sub in PACKAGES:
        package = importlib.import_module(f"regkb.{sub}")
        names += [info.name for info in pkgutil.walk_packages(package.__path__, f"regkb.{sub}.") if not info.ispkg]
    return sorted(set(names) - NOT_IMPORTED)


@pytest.mark.parametrize("name", package_modules())
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REGKB_HOME", str(tmp_path / "home"))
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (printed above)"
