"""POST /bench/empty: an empty handler, mounted only for benchmarks (WARROOM_BENCH_EMPTY_ROUTE).

It goes through everything a request to the API does (uvicorn, the body limit, metrics
and the access log) and reads the body, but does no work: the ceiling that
benchmarks/intake_bench.py measures intake against, in the same server.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

router = APIRouter(tags=["bench"])


@router.post("/bench/empty", include_in_schema=False)
async def empty(request: Request) -> Response:
    await request.body()
    return Response(b"{}", media_type="application/json")
