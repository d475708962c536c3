"""The control plane: the relational database for people, projects, releases and the
audit log (SQLAlchemy; SQLite embedded by default, PostgreSQL for a multi-user
deployment), with its schema kept by Alembic migrations.

It holds no pupil-level data: pupil records live only in the encrypted DuckDB store.
"""
