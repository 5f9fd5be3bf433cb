"""The cashier screen's widgets, one a file. None of them knows the Till exists."""
