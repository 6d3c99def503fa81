"""One router per group of routes; `api.app` mounts them under /api/v1 (ops at the root)."""

# Routers carry the whole path (prefix=f"{API_PREFIX}/..."), so a route's template (the
# metrics' route label) is the path a client sees, whatever FastAPI does with nesting.
API_PREFIX = "/api/v1"
