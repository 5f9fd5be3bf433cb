"""The programme engine: versioned programme documents and the one basket evaluator.

* :mod:`~loyalty.programme.document` reads and validates a document (TOML, one file
  per version) into a :class:`~loyalty.programme.model.Programme`;
* :func:`~loyalty.programme.evaluate.evaluate` turns a programme, a basket and a
  member snapshot into an :class:`~loyalty.programme.outcome.Outcome`, identically at
  the till and at the ledger;
* :mod:`~loyalty.programme.refunds` computes refunds by difference,
  :mod:`~loyalty.programme.versions` picks the version in force,
  :mod:`~loyalty.programme.redemption` bounds points used as a discount.

docs/PROGRAMMES.md documents the document format key by key.
"""

from loyalty.programme.basket import (
    NEW_MEMBER,
    AppliedReward,
    Basket,
    BasketError,
    Line,
    MemberSnapshot,
    RewardInstance,
    Tender,
    basket_from_json,
    snapshot_from_json,
)
from loyalty.programme.document import load_programme_file, parse_programme
from loyalty.programme.evaluate import RewardRefused, evaluate, evaluate_remaining, time_facts
from loyalty.programme.model import ENGINE_VERSION, Programme
from loyalty.programme.outcome import Outcome
from loyalty.programme.reader import NewerEngineRequired, ProgrammeError
from loyalty.programme.refunds import Reversal, reverse
from loyalty.programme.versions import ProgrammeVersion, version_in_force

__all__ = [
    "ENGINE_VERSION",
    "NEW_MEMBER",
    "AppliedReward",
    "Basket",
    "BasketError",
    "Line",
    "MemberSnapshot",
    "NewerEngineRequired",
    "Outcome",
    "Programme",
    "ProgrammeError",
    "ProgrammeVersion",
    "Reversal",
    "RewardInstance",
    "RewardRefused",
    "Tender",
    "basket_from_json",
    "evaluate",
    "evaluate_remaining",
    "load_programme_file",
    "parse_programme",
    "reverse",
    "snapshot_from_json",
    "time_facts",
    "version_in_force",
]
