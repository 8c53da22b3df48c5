"""Golden files: the example issue's whole outputs, compared byte for byte.

After an intended change to a channel or the layout, regenerate them and review the diff::

    DISPATCH_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
    git diff tests/golden/
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from dispatch.render import OUTPUTS

GOLDEN = Path(__file__).parent / "golden" / "moonshot-moment"
UPDATE = os.environ.get("DISPATCH_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("name", OUTPUTS)
def test_golden(rendered, name):
    actual = (rendered.folder / name).read_bytes()
    golden = GOLDEN / name
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(actual)
        return
    if not golden.exists():
        pytest.fail(f"{golden} is missing; create it with DISPATCH_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py")
    expected = golden.read_bytes()
    if actual != expected:
        diff = "".join(list(difflib.unified_diff(
            expected.decode("utf-8").splitlines(True), actual.decode("utf-8").splitlines(True),
            f"golden/{name}", f"rendered/{name}", n=1))[:60])
        pytest.fail(f"{name} differs from its golden file (regenerate with DISPATCH_UPDATE_GOLDEN=1 if intended):\n{diff}")
