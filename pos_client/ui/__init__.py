"""The cashier screen: a Textual front end over the headless :class:`~pos_client.till.Till`.

Only modules under this package import Textual. The App owns the Till and calls it
from thread workers; widgets receive plain values (attributes down) and report what
the cashier did as messages (messages up).
"""

import os

FRAMES_PER_SECOND = "120"
"""Textual redraws at most 60 times a second by default, so a scanned member could wait
up to 17 ms for the next frame; at 120 the wait halves (docs/PERFORMANCE.md, scan to
member shown). Textual reads ``TEXTUAL_FPS`` when first imported, which is just after
this package; a value set in the environment wins."""

os.environ.setdefault("TEXTUAL_FPS", FRAMES_PER_SECOND)
