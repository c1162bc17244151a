"""The README is the front door: it must not drift from the CLI and the Makefile."""

from __future__ import annotations

import re

from conftest import REPOSITORY as ROOT
from regkb.service.cli import build_parser

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_is_documented():
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name in commands:
        assert f"regkb {name}" in README, name


def test_the_two_commands_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test"):
        assert f"make {target}" in README
        assert re.search(rf"^{target}:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
