"""The basket as the cashier sees it: each line with what it is paid and earns.

Built from the draft and the member by evaluating it under the version in force, the
same way finishing the sale will. Without a member the lines show their prices and
the view says what is missing; a reward or points discount that no longer fits is
shown as a problem (the figures then leave it out) rather than hidden.
"""

from __future__ import annotations

from datetime import datetime

from loyalty.errors import LoyaltyError
from loyalty.programme import NEW_MEMBER, Outcome, ProgrammeVersion
from pos_client.member_state import snapshot
from pos_client.outcome_memo import OutcomeMemo
from pos_client.sale_draft import SaleDraft
from pos_client.views import MemberView, ProgrammeInfo, SaleLineView, SaleView


def outcome_of(
    memo: OutcomeMemo,
    version: ProgrammeVersion,
    draft: SaleDraft,
    member: MemberView | None,
    at: datetime,
    store: str,
    strict: bool,
) -> Outcome:
    """What the draft gives ``member`` (a new member if None) at ``at``."""
    member_snapshot = NEW_MEMBER if member is None else snapshot(member)
    return memo.evaluate(version, draft.basket(at, store), member_snapshot, strict=strict)


def sale_view(
    memo: OutcomeMemo,
    version: ProgrammeVersion,
    info: ProgrammeInfo,
    draft: SaleDraft,
    member: MemberView | None,
    at: datetime,
    store: str,
) -> SaleView:
    programme = version.programme
    problem = None if member is not None else "Scan the member's card to see what it earns."
    try:
        outcome = outcome_of(memo, version, draft, member, at, store, strict=True)
    except LoyaltyError as error:
        problem = error.message
        outcome = outcome_of(memo, version, draft, member, at, store, strict=False)
    by_line = {line.line: line for line in outcome.lines}
    rows = tuple(
        SaleLineView(
            line=line.line,
            sku=line.sku,
            name=line.name,
            qty=line.qty,
            unit_minor=line.unit_minor,
            paid_minor=by_line[line.line].paid_minor,
            tags=tuple(sorted(line.tags)),
            flags=tuple(sorted(line.flags)),
            wallets=by_line[line.line].wallets if member else {},
            stamps=by_line[line.line].stamps if member else {},
            rules=by_line[line.line].rules,
        )
        for line in draft.lines
    )
    names = {r.id: r.name for r in programme.rewards}
    offer_names = {t.id: t.name for t in programme.offer_templates}
    taken = {v.number: v.discount_minor for v in outcome.vouchers_used}
    return SaleView(
        lines=rows,
        currency=programme.currency,
        list_minor=outcome.list_minor,
        paid_minor=outcome.paid_minor,
        redeem_points=draft.redeem_points,
        rewards=tuple(names.get(r.reward, r.reward) for r in draft.rewards),
        wallets=outcome.wallets if member else {},
        spent=outcome.spent if member else {},
        stamps=outcome.stamps_earned if member else {},
        rewards_issued=tuple(names.get(r.reward, r.reward) for r in outcome.rewards_issued)
        if member
        else (),
        problem=problem,
        programme=info,
        offers=tuple(
            (offer_names.get(o.template, o.template), o.discount_minor) for o in outcome.offers_used
        ),
        vouchers=tuple((v.number, taken.get(v.number, 0)) for v in draft.vouchers),
    )
