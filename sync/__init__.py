"""Sync between a till and the central ledger.

:mod:`sync.protocol` holds the wire models both ends share (the ledger imports
nothing else from this package). The till's sync engine lives beside it and may
import :mod:`loyalty`; it never imports the ledger.
"""
