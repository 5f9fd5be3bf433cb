"""Shared set-up for the programme engine's unit tests.

The repository root goes on ``sys.path`` so the test modules can import
``tests.unit.programme.helpers`` (the suite runs with ``--import-mode=importlib``).
"""

from __future__ import annotations

import sys
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[3]
if str(_REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(_REPO_ROOT))
