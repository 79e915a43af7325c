"""The executor cases: requests per second and CPU per request against the sandbox.

One `leadbatch sandbox` process serves every case; its latency is set through its admin
endpoint and its store is reset before each run. The client side runs in a fresh process
per run: the library (LeadsClient.send in a loop), the bare asyncio client, and
`leadbatch run` end to end.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import profiles
from .harness import PYTHON, Case, Run, measure, run_once
from .inputs import Inputs
from .profiles import Profile
from .sandbox_proc import SandboxProcess

LATENCIES = (0.0, 0.02)
CONCURRENCIES = (1, 8, 32)
ALL_DAYS = "mon,tue,wed,thu,fri,sat,sun"


@dataclass
class ExecutorConfig:
    runs: int
    quick: bool
    work: Path
    cases: bool = True
    profiles: bool = True


@dataclass
class ExecutorResults:
    variants: list[str]
    cases: dict[str, Case] = field(default_factory=dict)  # "<variant>:<ms>:<concurrency>"
    requests: dict[str, int] = field(default_factory=dict)
    cli: dict[str, Case] = field(default_factory=dict)  # "<ms>:<concurrency>"
    cli_rows: int = 0
    profiles: dict[str, Profile | None] = field(default_factory=dict)


def key(variant: str, latency: float, concurrency: int) -> str:
    return f"{variant}:{round(latency * 1000)}:{concurrency}"


def request_count(variant: str, latency: float, concurrency: int, quick: bool) -> int:
    if quick:
        return 100
    # About 3-6 s per run at the bound, never fewer than a few hundred requests.
    n = 3000 if latency == 0 else max(250, min(3000, int(concurrency / latency * 3)))
    if variant == "lib-httpcore":
        n = min(n, 1000)  # httpcore's stock pool is slow at high concurrency; enough to see it
    return n


def run_executor_cases(inputs: Inputs, cfg: ExecutorConfig) -> ExecutorResults:
    # lib-httpx-aiohttp is the package's transport as it comes (lib adds leadbatch's error
    # edge and session to it): kept in full runs so that what those cost stays measured.
    variants = (
        ["lib", "bare"] if cfg.quick else ["lib", "lib-httpx-aiohttp", "lib-httpcore", "bare"]
    )
    res = ExecutorResults(variants, cli_rows=inputs.sandbox_rows)
    logs = cfg.work / "logs"
    with SandboxProcess(logs / "sandbox.log") as sandbox:
        env = sandbox.child_env()
        marks: list[float] = []

        def before() -> None:
            sandbox.reset()
            marks.append(sandbox.cpu())

        def after(run: Run) -> None:
            run.report["sandbox_cpu"] = sandbox.cpu() - marks.pop()

        if cfg.cases:
            for latency in LATENCIES:
                sandbox.set_latency(latency)
                for c in CONCURRENCIES:
                    for variant in variants:
                        n = request_count(variant, latency, c, cfg.quick)
                        k = key(variant, latency, c)
                        module = "bench.bare_client" if variant == "bare" else "bench.client_lib"
                        argv = [PYTHON, "-m", module, "--concurrency", str(c), "--requests", str(n)]
                        if variant != "bare":
                            argv += ["--variant", variant]
                        print(f"bench: executor {k} ({n} requests)", flush=True)
                        res.cases[k] = measure(
                            f"executor {k}",
                            argv,
                            runs=cfg.runs,
                            logs=logs,
                            env=env,
                            before=before,
                            after=after,
                        )
                        res.requests[k] = n
            cli_configs = [(0.02, 8)] if cfg.quick else [(0.0, 8), (0.0, 32), (0.02, 8), (0.02, 32)]
            for latency, c in cli_configs:
                sandbox.set_latency(latency)
                out = cfg.work / f"results-{round(latency * 1000)}-{c}.xlsx"

                def fresh(out: Path = out) -> None:
                    # the workbook and its journal (results.xlsx.journal.sqlite, -wal...)
                    for leftover in glob.glob(glob.escape(str(out)) + "*"):
                        os.unlink(leftover)
                    before()

                argv = [
                    PYTHON,
                    "-m",
                    "leadbatch",
                    "run",
                    str(inputs.sandbox_leads),
                    "-o",
                    str(out),
                    "--assistants",
                    str(inputs.sandbox_assistants),
                    "--concurrency",
                    str(c),
                    "--days",
                    ALL_DAYS,
                ]
                k = f"{round(latency * 1000)}:{c}"
                print(f"bench: leadbatch run, {k}", flush=True)
                res.cli[k] = measure(
                    f"leadbatch run {k}",
                    argv,
                    runs=cfg.runs,
                    logs=logs,
                    env=env,
                    before=fresh,
                    after=after,
                )
        if cfg.profiles:
            # Under load (concurrency 32, 0 ms), and an idle process woken by each answer
            # (concurrency 1, 20 ms): the same code, on warm and on cold caches.
            for name, conc, latency, n in (("client", 32, 0.0, 3000),
                                           ("client-idle", 1, 0.02, 1000)):
                sandbox.set_latency(latency)
                sandbox.reset()
                n = n // 10 if cfg.quick else n
                print(f"bench: profiling the library client at concurrency {conc}, "
                      f"{latency * 1000:.0f} ms", flush=True)
                res.profiles[name] = profiles.record(
                    [PYTHON, "-m", "bench.client_lib", "--concurrency", str(conc),
                     "--requests", str(n)],
                    cfg.work / f"profile-{name}",
                    focus=("BaseEventLoop._run_once ",),
                    env=env,
                )
            sandbox.set_latency(0.0)
            sandbox.reset()
            print(
                "bench: profiling the sandbox under the bare client, concurrency 8, 0 ms",
                flush=True,
            )
            spy = profiles.attach(sandbox.pid, 3 if cfg.quick else 6, cfg.work / "profile-sandbox")
            n = 1000 if cfg.quick else 15000
            run_once(
                [PYTHON, "-m", "bench.bare_client", "--concurrency", "8", "--requests", str(n)],
                log=logs / "profile-sandbox-client.log",
                env=env,
            )
            res.profiles["sandbox"] = profiles.collect(
                spy, cfg.work / "profile-sandbox", focus=("BaseEventLoop._run_once ",)
            )
    return res
