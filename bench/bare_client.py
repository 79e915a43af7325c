"""The practical floor of an HTTP client: bare asyncio over keep-alive sockets.

Raw HTTP/1.1 by hand, no library: a token first (client credentials, Basic header), then
`--concurrency` connections, each sending POST /leads one after the other and reading the
answer by Content-Length. It serialises each body and parses each answer's JSON, as any
real client must, and nothing more.

    python -m bench.bare_client --concurrency 8 --requests 2000   (LEADBATCH_* from the env)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import time
from urllib.parse import urlsplit

from .harness import emit, loop_figures
from .inputs import SANDBOX_ASSISTANTS


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
        elif name.strip().lower() == b"transfer-encoding":
            raise RuntimeError("chunked answers are not expected from the sandbox")
    return status, await reader.readexactly(length)


async def _token(token_url: str, client_id: str, secret: str) -> str:
    url = urlsplit(token_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port or 80)
    form = b"grant_type=client_credentials&scope=leads%2Fpost"
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = (
        f"POST {url.path or '/'} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Authorization: Basic {basic}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(form)}\r\nConnection: close\r\n\r\n"
    ).encode() + form
    status, body = await _exchange(reader, writer, request)
    writer.close()
    if status != 200:
        raise RuntimeError(f"token endpoint answered {status}")
    token: str = json.loads(body)["access_token"]
    return token


async def _run(concurrency: int, total: int) -> dict[str, float]:
    env = os.environ
    token = await _token(
        env["LEADBATCH_TOKEN_URL"], env["LEADBATCH_CLIENT_ID"], env["LEADBATCH_CLIENT_SECRET"]
    )
    api = urlsplit(env["LEADBATCH_API_URL"])
    head = (
        f"POST {api.path.rstrip('/')}/leads HTTP/1.1\r\nHost: {api.netloc}\r\n"
        f"Authorization: Bearer {token}\r\n7ts-user-identifier: {env['LEADBATCH_USER_IDENTIFIER']}\r\n"
        "Content-Type: application/json\r\nAccept: application/json\r\n"
    )
    conns = [
        await asyncio.open_connection(api.hostname, api.port or 80) for _ in range(concurrency)
    ]
    counter = iter(range(total))
    failures = 0

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal failures
        for i in counter:
            body = json.dumps(
                {
                    "name": f"Lead{i}",
                    "lastName": "Bench",
                    "email": f"bare{i}@bench.example.com",
                    "assistantEmail": SANDBOX_ASSISTANTS[i % 2],
                }
            ).encode()
            request = (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
            status, answer = await _exchange(reader, writer, request)
            json.loads(answer)
            if status != 201:
                failures += 1

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(r, w) for r, w in conns))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    for _, w in conns:
        w.close()
    return loop_figures(total, failures, wall, cpu)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args()
    emit(asyncio.run(_run(args.concurrency, args.requests)))


if __name__ == "__main__":
    main()
