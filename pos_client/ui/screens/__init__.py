"""The cashier screen and the dialogs it opens."""
