"""A member as the till knows them: the ledger-confirmed state plus this till's
events of the member the ledger has not confirmed yet, on whichever of their cards
(guarantee 4).

Pure functions over a cached member and their unconfirmed events: the balance of
every account, the rewards they hold now, and the snapshot the programme engine
evaluates a basket for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from loyalty.programme import MemberSnapshot, RewardInstance
from loyalty.programme.birthday import instance_year
from loyalty.programme.model import QUALIFYING_SPEND, STAMPS_PREFIX
from pos_client.holdings import UsedHere, birthday_reward
from pos_client.store import CachedMember
from pos_client.store.members import FoundMember, Pending
from pos_client.views import MemberView, ProgrammeInfo


def unconfirmed_postings(pending: Iterable[Pending]) -> dict[str, int]:
    total: dict[str, int] = {}
    for change in pending:
        for account, amount in change.postings.items():
            total[account] = total.get(account, 0) + amount
    return {k: v for k, v in sorted(total.items()) if v}


def rewards_held(cached: CachedMember, pending: Iterable[Pending]) -> tuple[RewardInstance, ...]:
    """The issued rewards the member holds once this till's unconfirmed events count:
    issued by sales here, minus those used here, minus those a refund took back,
    plus those a refund gave back."""
    return rewards_after(cached.rewards, pending)


def rewards_after(
    held_before: Iterable[tuple[str, str]], pending: Iterable[Pending]
) -> tuple[RewardInstance, ...]:
    """The rewards held once ``pending`` count, from those held before them
    (``(id, reward)`` pairs)."""
    held = {reward_id: reward for reward_id, reward in held_before}
    for change in pending:
        rewards = change.rewards
        for entry in [*rewards.get("rewards_issued", []), *rewards.get("rewards_restored", [])]:
            if instance_year(str(entry["id"])) is None:  # a birthday's is no held reward
                held[str(entry["id"])] = str(entry["reward"])
        for entry in rewards.get("rewards_used", []):
            if "id" in entry:
                held.pop(str(entry["id"]), None)
        for reward_id in rewards.get("rewards_revoked", []):
            held.pop(str(reward_id), None)
    return tuple(RewardInstance(i, r) for i, r in sorted(held.items()))


def member_view(
    found: FoundMember, programme: ProgrammeInfo | None, today: date | None = None
) -> MemberView:
    """The member as found by a card: their confirmed state and their unconfirmed
    events, under the card they were found by; the year's birthday reward among
    their rewards when its window is open ``today``."""
    cached, events = found.member, found.pending
    used = UsedHere.of_events(p.rewards for p in events)
    return with_birthday(
        MemberView(
            card=found.card,
            member_id=cached.member_id,
            name=cached.name,
            tier=cached.tier,
            confirmed=dict(cached.accounts),
            unconfirmed=unconfirmed_postings(events),
            rewards=rewards_held(cached, events),
            blocked=cached.blocked,
            card_replaced=not found.card_active,
            programme=programme,
            expiring=cached.expiring,
            progress=cached.progress,
            vouchers=tuple(v for v in cached.vouchers if v.number not in used.vouchers),
            offers=cached.offers,
            accrued=cached.accrued,
            used=used,
            unsynced=tuple(events),
            as_of=today,
        ),
        cached.birthday,
        cached.birthday_claimed,
        today,
    )


def with_birthday(
    member: MemberView, birthday: str, claimed: int, today: date | None
) -> MemberView:
    """``member`` holding the year's birthday reward if its window is open ``today``."""
    info = member.programme
    if today is None or info is None:
        return member
    held = birthday_reward(
        info.birthday, info.tier_of(member.tier), birthday, claimed, today, member.used
    )
    if held is None:
        return member
    return replace(member, rewards=(*member.rewards, held), birthday_held=True)


def after_event(member: MemberView, change: Pending, programme: ProgrammeInfo | None) -> MemberView:
    """``member`` once this till's new event ``change`` counts too, shown under
    ``programme`` (the version the event was recorded under): what the cashier saw
    plus what the event did, so a receipt's balance adds up to the one shown before
    it. (What a sync brought since reaches the screen with its next refresh.)"""
    used = member.used.plus([change.rewards])
    return replace(
        member,
        unconfirmed=unconfirmed_postings([Pending(member.unconfirmed, {}), change]),
        rewards=rewards_after(((r.id, r.reward) for r in member.rewards), [change]),
        programme=programme,
        vouchers=tuple(v for v in member.vouchers if v.number not in used.vouchers),
        used=used,
        birthday_held=member.birthday_held and used.birthdays == member.used.birthdays,
        unsynced=(*member.unsynced, change),
    )


def snapshot(member: MemberView) -> MemberSnapshot:
    """What the engine evaluates a basket for: tier, stamps, spend and rewards now."""
    accounts = set(member.confirmed) | set(member.unconfirmed)
    stamps = {
        account[len(STAMPS_PREFIX) :]: member.total(account)
        for account in sorted(accounts)
        if account.startswith(STAMPS_PREFIX) and member.total(account) > 0
    }
    return MemberSnapshot(
        tier=member.tier,
        stamps=stamps,
        qualifying_spend_minor=member.total(QUALIFYING_SPEND),
        rewards=member.rewards,
    )
