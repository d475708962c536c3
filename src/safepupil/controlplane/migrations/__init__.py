"""Alembic migrations of the control-plane schema (run by ``controlplane.migrate``)."""
