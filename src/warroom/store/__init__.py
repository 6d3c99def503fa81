"""Storage: SQLAlchemy tables, repositories (plain functions per aggregate) and migrations."""
