"""Manager mode at the till: member search and status, corrections, cards, enrolment,
the store's day and the sync queue, behind a manager's PIN."""
