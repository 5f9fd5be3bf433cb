"""Who decides in manager mode: the manager on duty at the till."""

from __future__ import annotations

from pos_client.errors import NotAManager
from pos_client.till import Till


def on_duty(till: Till) -> str:
    """The staff number of the manager on duty; NotAManager when manager mode closed
    meanwhile (an idle timeout while a decision was on its way)."""
    manager = till.manager_on_duty
    if manager is None:
        raise NotAManager("Manager mode has closed: open it again with a manager's PIN.")
    return manager.staff_id
