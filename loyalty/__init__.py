"""The loyalty programme's pure domain: no I/O, no UI, no clocks except where passed.

Card numbers and check digits (:mod:`loyalty.cards`), money in integer minor units and
the one rounding rule (:mod:`loyalty.money`), the programme's rules
(:mod:`loyalty.programme`) and the hash-chained event model (:mod:`loyalty.events`).
"""
