"""The chain's web pages, served by the ledger at ``/admin/`` (docs/ADMIN_WEB.md).

Server-rendered HTML (Jinja2) with htmx as one vendored static file, no script
build; sign-in with roles, sessions, CSRF tokens and lockout; every state-changing
action written to the audit log naming the person. Never imported by the till.
"""
