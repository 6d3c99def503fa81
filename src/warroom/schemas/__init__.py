"""JSON shapes shared by the CLI's --json output and the HTTP API (Pydantic models).

Money is a decimal string ("12345.67"); times are ISO-8601 UTC with `Z`.
"""
