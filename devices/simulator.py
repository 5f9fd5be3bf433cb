"""A scanner simulated on a real kernel pseudo-terminal.

:class:`ScannerSimulator` creates a pty pair: the till opens the slave side as its
scanner port exactly as it would open ``/dev/ttyACM0``, and the simulator writes
scans into the master side with the framing a real scanner uses. Closing the master
is what the kernel does when a USB scanner is pulled out, so :meth:`unplug` and
:meth:`replug` exercise the reader's reconnect path for real. With ``link`` the
simulator keeps a symlink pointing at the current slave, playing the part of a
``/dev/serial/by-id/...`` path that follows the device across replugs.

The demo starts one in-process and feeds it member cards; ``pos-client scanner-sim``
wraps it for installers; the integration tests use it to drive the reader.

Bytes written before the reader has opened the port are lost (opening a serial port
flushes its input), so wait for the reader's ``connected`` status, or call
:meth:`wait_for_reader`, before :meth:`send`.
"""

from __future__ import annotations

import os
import select
import termios
import time
import tty
from pathlib import Path
from typing import Final, Literal

from devices.errors import SimulatorError

Framing = Literal["crlf", "cr", "lf", "etx", "stx-etx", "none"]
FRAMINGS: Final[tuple[Framing, ...]] = ("crlf", "cr", "lf", "etx", "stx-etx", "none")
_AFFIXES: Final[dict[str, tuple[bytes, bytes]]] = {
    "crlf": (b"", b"\r\n"),
    "cr": (b"", b"\r"),
    "lf": (b"", b"\n"),
    "etx": (b"", b"\x03"),
    "stx-etx": (b"\x02", b"\x03"),
    "none": (b"", b""),
}


def aim_id_for(text: str) -> str:
    """The AIM identifier a scanner would send for ``text``, from what the text looks like."""
    if text.isascii() and text.isdigit() and len(text) == 13:
        return "]E0"
    if text.isascii() and text.isdigit() and len(text) == 8:
        return "]E4"
    if ":" in text or len(text) > 48:
        return "]Q1"
    return "]C0"


class ScannerSimulator:
    """A simulated serial scanner on a pty; see the module docstring."""

    def __init__(
        self, framing: Framing = "crlf", aim: bool = False, link: str | Path | None = None
    ) -> None:
        if framing not in _AFFIXES:
            raise SimulatorError(f"Unknown framing {framing!r}; use one of {', '.join(FRAMINGS)}.")
        self.framing: Framing = framing
        self.aim = aim
        self.link = Path(link) if link is not None else None
        self._master: int | None = None
        self._slave_path: str | None = None
        self._initial_attrs: list[object] | None = None

    @property
    def path(self) -> str:
        """The port to open: the symlink if one was asked for, else the pty slave."""
        if self.link is not None:
            return str(self.link)
        if self._slave_path is None:
            raise SimulatorError("The simulated scanner is not plugged in; call open() first.")
        return self._slave_path

    @property
    def device(self) -> str | None:
        """The current pty slave (``/dev/pts/N``), or None while unplugged."""
        return self._slave_path if self._master is not None else None

    @property
    def plugged_in(self) -> bool:
        """True while the master side is open."""
        return self._master is not None

    def open(self) -> str:
        """Plug the scanner in: create the pty (raw mode) and the symlink; return :attr:`path`."""
        if self._master is not None:
            raise SimulatorError("The simulated scanner is already plugged in.")
        try:
            master, slave = os.openpty()
        except OSError as error:
            raise SimulatorError(f"Could not create a pseudo-terminal: {error}") from error
        try:
            tty.setraw(slave)
            self._slave_path = os.ttyname(slave)
            self._initial_attrs = termios.tcgetattr(master)
        finally:
            os.close(slave)
        self._master = master
        if self.link is not None:
            self._point_link(self._slave_path)
        return self.path

    def send(self, text: str) -> bytes:
        """Send one scan with the simulator's framing (and AIM id); return the bytes sent."""
        prefix, suffix = _AFFIXES[self.framing]
        aim = aim_id_for(text) if self.aim else ""
        wire = prefix + (aim + text).encode("ascii") + suffix
        self.send_raw(wire)
        return wire

    def send_raw(self, data: bytes) -> None:
        """Write bytes as they are: garbage, partial scans, several scans at once."""
        if self._master is None:
            raise SimulatorError("The simulated scanner is unplugged; nothing can be sent.")
        view = memoryview(data)
        while view:
            written = os.write(self._master, view)
            view = view[written:]

    def reader_attached(self) -> bool:
        """True while some program has the port open (the master sees no hang-up)."""
        if self._master is None:
            return False
        poller = select.poll()
        poller.register(self._master, select.POLLHUP)
        return not any(ev & select.POLLHUP for _, ev in poller.poll(0))

    def wait_for_reader(self, timeout: float) -> bool:
        """Wait until a program has opened and configured the port; True if one did.

        A reader that opens the slave clears the master's hang-up flag, and pyserial
        then sets the line's termios, which the master can see. After that the
        reader flushes its input once, so a short grace follows.
        """
        if self._master is None:
            raise SimulatorError("The simulated scanner is unplugged.")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.reader_attached() and termios.tcgetattr(self._master) != self._initial_attrs:
                time.sleep(0.2)
                return True
            time.sleep(0.01)
        return False

    def unplug(self) -> None:
        """Pull the cable: close the master, so the reader gets an I/O error."""
        if self._master is not None:
            os.close(self._master)
            self._master = None

    def replug(self) -> str:
        """Pull the cable and plug back in on a new pty with a new device name.

        The new pty is created before the old master is closed, so the kernel cannot
        hand out the old name again: the symlink really moves, as a by-id link does
        when a replugged scanner comes back as another ``/dev/ttyACM*``.
        """
        old = self._master
        self._master = None
        try:
            return self.open()
        finally:
            if old is not None:
                os.close(old)

    def close(self) -> None:
        """Unplug and remove the symlink; safe to call more than once."""
        self.unplug()
        if self.link is not None and self.link.is_symlink():
            self.link.unlink()

    def __enter__(self) -> ScannerSimulator:
        if self._master is None:
            self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _point_link(self, target: str) -> None:
        assert self.link is not None
        temporary = self.link.with_name(f".{self.link.name}.{os.getpid()}.tmp")
        if temporary.is_symlink():
            temporary.unlink()
        os.symlink(target, temporary)
        os.replace(temporary, self.link)
