"""What a basket may spend of a member's wallets, said in the cashier's words."""

from __future__ import annotations

from loyalty.errors import RedemptionRefused
from loyalty.programme import Outcome, Programme
from pos_client.views import MemberView


def wallet_name(programme: Programme, wallet_id: str) -> str:
    """How the cashier reads a wallet: its name in lower case ("points", "stars")."""
    wallet = programme.wallet(wallet_id)
    return wallet.name.lower() if wallet else wallet_id


def check_balances(member: MemberView, programme: Programme, outcome: Outcome) -> None:
    """Refuse a basket that spends from a wallet in debt, or more than it holds (the
    balance shown: confirmed and not yet synced)."""
    for wallet, spent in outcome.spent.items():
        available = member.total(wallet)
        if available < 0:
            raise RedemptionRefused(
                f"The member owes {-available} {wallet_name(programme, wallet)}; "
                "nothing can be spent until the balance is positive again."
            )
        if spent > available:
            raise RedemptionRefused(
                f"Not enough {wallet_name(programme, wallet)}: the member has "
                f"{available}, the basket spends {spent}."
            )
