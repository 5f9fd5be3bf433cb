"""``pos-client staff``: the staff this till knows and who can sign in here."""

from __future__ import annotations

from pathlib import Path

import pytest

from loyalty.staff import LOCKOUT_TRIES
from pos_client.cli import main
from pos_client.config import load_config
from pos_client.errors import LockedOut, WrongPin
from pos_client.till import Till
from tests.integration.staff_feed import pull_staff, staff_change


def test_staff_lists_everyone_with_whether_they_can_sign_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = tmp_path / "config.toml"
    path.write_text('[till]\nterminal_id = "OSLO01-T1"\ndata_dir = "data"\n')
    assert main(["--config", str(path), "staff"]) == 0
    assert "knows no staff" in capsys.readouterr().out

    till = Till.open(load_config(path))
    try:
        pull_staff(
            till.store,
            [
                staff_change("C100", "1357", 1, name="Kari Kasse", stores=["OSLO01"]),
                staff_change("C200", "1357", 2, name="Ola Locked"),
                staff_change("C300", "1357", 3, name="Bergen Kasse", stores=["BERGEN01"]),
                staff_change("M400", "8642", 4, name="Mona Manager", role="manager"),
                staff_change("C500", "1357", 5, name="Gone Away", active=False),
            ],
        )
        for _ in range(LOCKOUT_TRIES):
            with pytest.raises((WrongPin, LockedOut)):
                till.sign_in("C200", "0000")
    finally:
        till.close()

    assert main(["--config", str(path), "staff"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["C100"].split()[1:] == ["cashier", "Kari", "Kasse", "can", "sign", "in"]
    assert "locked out until" in lines["C200"]
    assert lines["C300"].endswith("another store")
    assert lines["M400"].split()[1] == "manager" and lines["M400"].endswith("can sign in")
    assert lines["C500"].endswith("disabled")
