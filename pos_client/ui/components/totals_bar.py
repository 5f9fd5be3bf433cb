"""Under the basket: the money, and what finishing the sale would record."""

from __future__ import annotations

from rich.text import Text

from pos_client.ui import formatting
from pos_client.ui.components.fixed_text import FixedText
from pos_client.views import Receipt, SaleView


class TotalsBar(FixedText):
    """Two lines: totals and outcome of the basket, or what a receipt changed."""

    def show_sale(self, sale: SaleView) -> None:
        first, second = formatting.sale_summary(sale)
        text = Text(first, style="bold")
        style = "yellow" if sale.problem else ""
        text.append("\n" + second, style=style)
        self.update(text)

    def show_receipt(self, receipt: Receipt, balance: str | None) -> None:
        text = Text(f"{formatting.kind_label(receipt.kind)} recorded: ", style="bold")
        text.append(formatting.receipt_summary(receipt))
        if receipt.kind.value in ("sale", "refund", "redeem"):
            label = {"refund": "Money back", "redeem": "Discount"}.get(receipt.kind.value, "Paid")
            text.append(f"   {label} {receipt.amount}")
        text.append("\n")
        if balance:
            text.append(f"Balance now {balance}", style="dim")
        for reward in receipt.rewards_issued:
            info = receipt.programme
            name = info.rewards.get(reward, reward) if info else reward
            text.append(f"   New reward: {name} (usable from the next visit)")
        self.update(text)
