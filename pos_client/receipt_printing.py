"""Receipts on an ESC/POS printer, printed in the background after each transaction.

Printing is optional and never part of the sale: the event is already durable in the
journal when a receipt is queued (guarantee 1), the printer is driven from its own
thread, and a missing, slow or jammed printer only shows up as a printer error in
the status bar. The queue is bounded; if the printer is gone for a long time the
oldest unprinted receipts are dropped from the queue (they stay in the journal and
``pos-client receipts`` lists them).

Other documents (the end-of-day report) go through the same queue and thread as
print jobs (:class:`PrintJob`), so they never interleave with a receipt on paper; whoever
submits one may wait for its result (:meth:`ReceiptPrinter.print_lines`).
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field

from devices.escpos import ReceiptLines, two_columns
from devices.printer import PrintResult, print_receipt
from loyalty.money import Money, format_money
from loyalty.programme.model import STAMPS_PREFIX
from pos_client import wording
from pos_client.config import PrinterConfig
from pos_client.views import Receipt

QUEUE_LIMIT = 50
PHASES_PER_JOB = 3
"""Connect, write, close: how many printer timeouts one job may take at most."""


@dataclass
class PrintJob:
    """A document other than a receipt, and its result once the printer thread is done."""

    lines: ReceiptLines
    done: threading.Event = field(default_factory=threading.Event)
    result: PrintResult | None = None


def receipt_lines(receipt: Receipt, store_name: str) -> ReceiptLines:
    """What a loyalty receipt says: the lines and what each earned, the offers and
    vouchers used, what changed on each account, the new balance, rewards issued,
    the masked card, and the member's bonus vouchers, each with its Code 128 barcode
    (above the receipt number's)."""
    info = receipt.programme
    currency = receipt.amount.currency
    body = [
        two_columns("Receipt", receipt.receipt_no),
        two_columns("Member", receipt.member_name),
        two_columns("Card", receipt.masked_card),
        "",
        wording.kind_title(str(receipt.kind)),
    ]
    for line in receipt.lines:
        stamps = {STAMPS_PREFIX + card: n for card, n in line.stamps.items()}
        earned = wording.postings_text({**line.wallets, **stamps}, info)
        body.append(
            two_columns(
                f"{line.qty} x {line.name}"[:28], format_money(Money(line.paid_minor, currency))
            )
        )
        body += [f"  {text}" for text in earned]
    for what, off in receipt.savings:
        body.append(two_columns(what[:28], f"-{format_money(Money(off, currency))}"))
    amount_label = {"redeem": "Discount", "refund": "Money back"}.get(str(receipt.kind), "Paid")
    if receipt.amount.minor or receipt.lines:
        body.append(two_columns(amount_label, str(receipt.amount)))
    for text in wording.postings_text(receipt.postings, info):
        body.append(two_columns("", text))
    for reward in receipt.rewards_issued:
        name = info.rewards.get(reward, reward) if info is not None else reward
        body.append(f"Reward: {name} (from your next visit)")
    if receipt.balance_after is not None:
        body.append(
            two_columns(
                "New balance",
                wording.account_amount(receipt.main_wallet, receipt.balance_after, info),
            )
        )
    body.append(two_columns("Time (UTC)", receipt.recorded_at[:19].replace("T", " ")))
    for voucher in receipt.vouchers:
        value = format_money(Money(voucher.value_minor, voucher.currency))
        terms = f" from {format_money(Money(voucher.min_spend_minor, voucher.currency))}"
        body += [
            "",
            f"Bonus voucher {value}" + (terms if voucher.min_spend_minor else ""),
            f"  use by {voucher.valid_until.isoformat()}: {voucher.number}",
        ]
    return ReceiptLines(
        header=[store_name or "Loyalty till"],
        lines=body,
        barcodes=[*(v.number for v in receipt.vouchers), receipt.receipt_no],
        footer=["Thank you!"],
    )


class ReceiptPrinter:
    """A background printer queue for one till."""

    def __init__(self, config: PrinterConfig, store_name: str) -> None:
        if not config.url:
            raise ValueError("a receipt printer needs [printer] url")
        self.config = config
        self.store_name = store_name
        self.last_error: str | None = None
        """Why the last receipt did not print; None after a successful print."""
        self.printed = 0
        self._queue: queue.Queue[Receipt | PrintJob | None] = queue.Queue(QUEUE_LIMIT)
        self._thread = threading.Thread(target=self._loop, name="printer", daemon=True)
        self._thread.start()

    def submit(self, receipt: Receipt) -> None:
        """Queue ``receipt``; returns at once whatever the printer's state."""
        try:
            self._queue.put_nowait(receipt)
        except queue.Full:
            self.last_error = "The printer is not printing; receipts are waiting."

    def print_lines(self, lines: ReceiptLines) -> PrintResult | None:
        """Print ``lines`` after what is queued and wait for the result; None when the
        printer has not finished in the time the queue ahead of it may take (the job
        stays queued and prints when the printer is ready)."""
        job = PrintJob(lines)
        wait = self.config.timeout * PHASES_PER_JOB * (self._queue.qsize() + 1) + 1.0
        try:
            self._queue.put(job, timeout=wait)
        except queue.Full:
            return None
        job.done.wait(wait)
        return job.result

    def close(self, timeout: float = 5.0) -> None:
        """Finish what is queued (up to ``timeout``) and stop."""
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)

    def _loop(self) -> None:
        while (item := self._queue.get()) is not None:
            lines = (
                item.lines if isinstance(item, PrintJob) else receipt_lines(item, self.store_name)
            )
            result = print_receipt(
                lines,
                str(self.config.url),
                timeout=self.config.timeout,
                baudrate=self.config.baudrate,
            )
            if result.ok:
                self.printed += 1
                self.last_error = None
            else:
                self.last_error = result.error
            if isinstance(item, PrintJob):
                item.result = result
                item.done.set()
