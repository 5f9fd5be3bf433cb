"""A till process for the crash-safety test: records earns until it is killed.

Usage: python crash_worker.py DATA_DIR CARD

After each earn returns (the point where a cashier is told "recorded"), it prints
``SEQ EVENT_ID POINTS`` and flushes, so the parent knows which events were reported.
"""

import random
import sys
from pathlib import Path

from pos_client.config import TillConfig
from pos_client.till import Till


def main() -> None:
    data_dir, card = Path(sys.argv[1]), sys.argv[2]
    till = Till.open(TillConfig(terminal_id="CRASH-T1", data_dir=data_dir))
    till.scan(card)
    print("ready", flush=True)
    rng = random.Random()
    for _ in range(100_000):  # bounded: the parent kills long before this ends
        receipt = till.earn(f"{rng.randint(1, 2000)}.{rng.randint(0, 99):02d}")
        seq = int(receipt.receipt_no.rsplit("-", 1)[1])
        print(seq, receipt.event_id, receipt.points, flush=True)


if __name__ == "__main__":
    main()
