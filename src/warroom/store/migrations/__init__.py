"""Alembic migrations of warroom's database (run by `warroom init`)."""
