"""Manager screens ask the Till through the App's call queue and get the answer back.

A screen outside the cashier's flow (sign-in, manager mode, an approval) needs a
till operation done off the UI thread, in order with every other till call, and its
answer delivered to itself rather than to the cashier screen. :func:`ask_call`
makes such a call: it runs ``work`` on the Till in the queue's worker and answers
with :class:`Answered`, carrying either the result or the refusal (a
:class:`~loyalty.errors.LoyaltyError`, whose message the screen shows next to the
field). The App calls ``deliver`` with it on the UI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.message import Message

from loyalty.errors import LoyaltyError
from pos_client.till import Till
from pos_client.ui.till_calls import TillCall

log = logging.getLogger(__name__)

Work = Callable[[Till], Any]
Deliver = Callable[[Any], None]


@dataclass
class Answered(Message):
    """The answer to one screen's till call: ``result`` is what the work returned,
    or the :class:`LoyaltyError` that refused it."""

    deliver: Deliver
    result: Any


class Unexpected(LoyaltyError):
    """A failure that is not a refusal (a bug, a broken disk): said in plain words."""

    def __init__(self) -> None:
        super().__init__(
            "Something went wrong in the till; nothing was changed by this. Try again, "
            "and call head office if it keeps happening."
        )


def ask_call(work: Work, deliver: Deliver) -> TillCall:
    """A till call doing ``work`` whose answer (or refusal) goes to ``deliver``."""

    def call(till: Till) -> Message:
        try:
            return Answered(deliver, work(till))
        except LoyaltyError as error:
            return Answered(deliver, error)
        except Exception:
            log.exception("a manager screen's till call failed")
            return Answered(deliver, Unexpected())

    return call
