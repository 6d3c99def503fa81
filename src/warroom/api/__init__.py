"""The HTTP API (`/api/v1`, OpenAPI): FastAPI routers over the same services as the CLI.

Importing this package imports nothing else: `create_app` in `api.app` builds the app.
"""
