"""Use cases: each opens one transaction, calls the domain and the store, and audits changes.

The CLI, the API, the web pages and the report renderers all go through these functions.
"""
