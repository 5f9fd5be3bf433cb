"""The cashier screen: a Textual front end over the headless :class:`~pos_client.till.Till`.

Only modules under this package import Textual. The App owns the Till and calls it
from thread workers; widgets receive plain values (attributes down) and report what
the cashier did as messages (messages up).
"""
