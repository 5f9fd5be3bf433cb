"""The reference central ledger: an ASGI server over SQLite or PostgreSQL, and its admin CLI.

    cli       pos-ledger: serve, terminal, members, member, card, rules, verify
    app       the FastAPI application: error shape, body limit, OpenAPI document
    routes    the protocol's routes (docs/PROTOCOL.md)
    auth      bearer tokens of terminals
    service   applying a pushed batch exactly once
    checks    malformed events and rule mismatches
    feed      the changes feed and its cursor
    members, rules, terminals   stored things and their wire forms
    admin     member import, card replacement, rules files
    verify    recomputing balances and hash chains
    db        one storage interface over SQLite and PostgreSQL
    schema    tables and migrations
    errors    the exception tree

The ledger imports only :mod:`loyalty` and :mod:`sync.protocol` from this project.
"""
