"""The Timeliste server: FastAPI + SQLAlchemy 2 + Alembic (docs/rules.md §13).

Layout: `config` (Settings), `db` (Base, engines, the `db` session
dependency), `tables` (core tables), `migrations` + `migrate.upgrade(url)`,
`app.create_app()`, `errors` (domain errors → problem+json), `deps`
(DbDep, CurrentUser, RequireRole), `schemas` (API shapes), `routes/*` (thin),
`services/*` (the work; keyword-only, raise domain errors), `payroll/*`.

Core tables: users, auth_tokens, login_failures, contacts, recipients,
decisions, decision_contacts, entries (tombstoned with `deleted`),
entry_decisions (one index row per live entry × decision), timesheets,
timesheet_entries, signatures, flags (one open flag per `scope`),
audit_events (append-only by trigger), device_mutations (push idempotency),
change_sequence (one row: the last sequence number), tombstones.

Every row a device may pull carries `seq`, the change sequence number of the
transaction that last changed it; `decisions.usage_seq` moves when an entry
on the decision changes. A timesheet's `content_hash` is "" while its entries
have changed since it was last read; reads and signing compute it
(`services.timesheets.fresh_hashes`).
"""
