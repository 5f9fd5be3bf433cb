"""The till's devices: scanners, barcode and QR drawing, receipt printing.

Imports none of our other packages and no UI, so it can be tested and reused alone;
what a scan *means* to the programme is decided in ``loyalty.scans``.

Pure (no I/O, time passed in):

* :mod:`devices.framing`     scanner bytes into frames; rejects garbage with a reason
* :mod:`devices.symbology`   AIM symbology identifiers; the :class:`Scan` record
* :mod:`devices.decoder`     framing + parsing + duplicate suppression in one object
* :mod:`devices.wedge`       keyboard-wedge scanner bursts told from a person typing
* :mod:`devices.escpos`      receipts as exact ESC/POS bytes
* :mod:`devices.config`      the ``[scanner]`` settings, strictly validated

With I/O:

* :mod:`devices.serial_source`  the scanner reader thread (reconnects, never dies)
* :mod:`devices.simulator`      a scanner simulated on a kernel pty
* :mod:`devices.tools`          port listing and the scan test behind the CLI
* :mod:`devices.codes`          EAN-13, Code 128 and QR images (SVG, PNG)
* :mod:`devices.printer`        sending receipts; reports failure, never raises

Errors: :mod:`devices.errors` (one small hierarchy under ``DeviceError``).
"""
