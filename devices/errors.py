"""The device layer's exceptions.

Every message names what is wrong and what to do about it, in words an installer
or a cashier can act on. Scanners and printers are never allowed to break a sale:
the serial reader reports trouble through its status callback and printing returns
a result, so these exceptions are raised only where a caller asked for something
that cannot be done (a bad setting, a barcode that cannot be drawn).

    DeviceError
    ├── ScannerConfigError   a scanner setting is missing or wrong (names the key)
    ├── SimulatorError       the simulated scanner could not create its port
    ├── CodeRenderError      a barcode or QR code cannot be drawn (bad data, no Pillow)
    ├── ReceiptError         a receipt cannot be encoded for the printer
    └── PrinterError         the printer could not be reached or did not take the data
"""

from __future__ import annotations


class DeviceError(Exception):
    """Base of the device errors; ``str(error)`` is the message for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ScannerConfigError(DeviceError):
    """A scanner setting is missing, unknown or has the wrong type or value."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"Scanner setting {key!r}: {problem}")
        self.key = key


class SimulatorError(DeviceError):
    """The simulated scanner could not create or use its pseudo-terminal."""


class CodeRenderError(DeviceError):
    """A barcode or QR code cannot be drawn from the data or in the format asked."""


class ReceiptError(DeviceError):
    """A receipt holds something the printer cannot print (for example a bad barcode)."""


class PrinterError(DeviceError):
    """The printer could not be reached, or did not accept the receipt in time."""
