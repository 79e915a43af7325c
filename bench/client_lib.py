"""The executor's HTTP side through the library: LeadsClient.send in a loop.

`--concurrency` workers share one LeadsClient (one connection pool) and send POST /leads
until `--requests` are done; the figures cover the sending loop only (the token and the
first connection are made by a warm-up request before it), so CPU per request is the
client's own cost, not Python's start-up.

Variants: `lib` (LeadsClient as the executor builds it: the `httpx_aiohttp` package's
transport with leadbatch's error edge, send/transport.py), `lib-httpcore` /
`lib-httpx-aiohttp` (LeadsClient over httpx's stock transport / over the package's
transport as it comes, without the edge or our session: what those cost), `httpx` (a stock
httpx.AsyncClient with no leadbatch code, for reference), `httpx-aiohttp` (the same over
the httpx-aiohttp transport).

    python -m bench.client_lib --variant lib --concurrency 8 --requests 2000
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from .harness import emit, loop_figures
from .inputs import SANDBOX_ASSISTANTS

Sender = Callable[[dict[str, Any]], Awaitable[int]]


def _body(i: int) -> dict[str, Any]:
    return {
        "name": f"Lead{i}",
        "lastName": "Bench",
        "email": f"lib{i}@bench.example.com",
        "assistantEmail": SANDBOX_ASSISTANTS[i % 2],
    }


async def _loop(send: Sender, concurrency: int, total: int) -> dict[str, float]:
    await send(_body(total))  # warm-up: token and first connection, outside the figures
    counter = iter(range(total))
    failures = 0

    async def worker() -> None:
        nonlocal failures
        for i in counter:
            if await send(_body(i)) not in (200, 201):
                failures += 1

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return loop_figures(total, failures, wall, cpu)


def _transport(kind: str, concurrency: int) -> httpx.AsyncBaseTransport | None:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    if kind == "lib-httpcore":
        return httpx.AsyncHTTPTransport(limits=limits)
    if kind == "lib-httpx-aiohttp":
        from httpx_aiohttp import AiohttpTransport

        return AiohttpTransport(limits=limits)
    return None


async def _with_library(variant: str, concurrency: int, total: int) -> dict[str, float]:
    from leadbatch.config import load_api_settings
    from leadbatch.send import LeadsClient

    settings = load_api_settings()
    transport = _transport(variant, concurrency)
    async with LeadsClient(settings, max_connections=concurrency, transport=transport) as client:

        async def send(body: dict[str, Any]) -> int:
            sent = await client.send("create", body)
            return sent.http_status

        return await _loop(send, concurrency, total)


async def _with_stock_httpx(concurrency: int, total: int, *, aiohttp: bool) -> dict[str, float]:
    env = os.environ
    basic = base64.b64encode(
        f"{env['LEADBATCH_CLIENT_ID']}:{env['LEADBATCH_CLIENT_SECRET']}".encode()
    ).decode()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    transport = _transport("lib-httpx-aiohttp", concurrency) if aiohttp else None
    async with httpx.AsyncClient(limits=limits, transport=transport) as http:
        answer = await http.post(
            env["LEADBATCH_TOKEN_URL"],
            headers={"Authorization": f"Basic {basic}"},
            data={"grant_type": "client_credentials", "scope": "leads/post"},
        )
        headers = {
            "Authorization": f"Bearer {answer.json()['access_token']}",
            "7ts-user-identifier": env["LEADBATCH_USER_IDENTIFIER"],
        }
        url = env["LEADBATCH_API_URL"].rstrip("/") + "/leads"

        async def send(body: dict[str, Any]) -> int:
            response = await http.post(url, json=body, headers=headers)
            response.json()
            return response.status_code

        return await _loop(send, concurrency, total)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--variant",
        choices=["lib", "lib-httpcore", "lib-httpx-aiohttp", "httpx", "httpx-aiohttp"],
        default="lib",
    )
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args()
    if args.variant.startswith("httpx"):
        aiohttp = args.variant == "httpx-aiohttp"
        result = asyncio.run(_with_stock_httpx(args.concurrency, args.requests, aiohttp=aiohttp))
    else:
        result = asyncio.run(_with_library(args.variant, args.concurrency, args.requests))
    emit(result)


if __name__ == "__main__":
    main()
