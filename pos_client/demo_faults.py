"""Work for the demo's manager: corrections an older till release recorded unapproved.

With ``pos-client demo --parked``, on a new demo till's first start, before it first
syncs, two points corrections are
put in its journal as a till of an older release recorded them: with no manager's
approval. The ledger refuses such an event as malformed, so the first one parks and
the sync queue (F1, then F3 in manager mode) shows it with the ledger's reason;
voiding it with a note lets the till's stream go on until the second one parks in
its turn. They are written once, through the journal's own append (the Till itself
would ask for the approval), and never again on later starts.
"""

from __future__ import annotations

from loyalty.events import Event, EventKind, build_event
from pos_client.store import CachedMember
from pos_client.till import Till

SEEDED = "demo_unapproved_corrections"
"""The setting that says the corrections were written (on the first start)."""
NOTE = "Recorded by the till's release 0.3, which asked no manager for corrections."


def seed_unapproved_corrections(till: Till, members: list[CachedMember], operator: str) -> None:
    """The two corrections, on the first start of an empty demo till only."""
    store = till.store
    if store.settings.get(SEEDED) or store.journal.tip()[0] != 0:
        return
    at = till.clock().isoformat(timespec="seconds")
    currency = till.version().programme.currency
    for member, points in ((members[0], 500), (members[1], -200)):

        def build(
            seq: int, prev_hash: str, member: CachedMember = member, points: int = points
        ) -> Event:
            return build_event(
                terminal_id=till.config.terminal_id,
                seq=seq,
                prev_hash=prev_hash,
                kind=EventKind.ADJUST,
                card=member.card,
                member_id=member.member_id,
                business_time=at,
                store=till.config.store_id,
                currency=currency,
                operator=operator,
                postings={"points": points},
                reason="goodwill",
                note=NOTE,
            )

        store.append(build)
    store.settings.set(SEEDED, at)
