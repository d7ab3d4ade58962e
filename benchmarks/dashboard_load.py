"""A crowd on one client dashboard: N viewers at once in real browser pages.

Starts `maturity dashboard --client` (a two-wave benchmark built in code) with its viewer
limit and drives N headless chromium pages (Playwright, Debian's chromium) that all open
the link at the same moment. A viewer beyond the limit gets the "busy" page (HTTP 503) and
tries again every `--retry` seconds, as its message asks; once in, it looks at the
dashboard for `--stay` seconds and closes the tab (Voila's close beacon frees its kernel).

Printed: time to first widget (p50/p95; from the first attempt, so waiting for a place
counts, and from the attempt that got in), how many were turned away at least once, the
server's peak memory (RSS of the server and its kernels, psutil) and how long after the
last viewer left it was back to its idle level.

    python benchmarks/dashboard_load.py [--viewers 20] [--max-viewers 8] [--stay 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from maturity.dashboard.server import start_dashboard  # noqa: E402
from tests.browser_support import CHROMIUM_ARGS, chromium_path, skip_reason  # noqa: E402
from tests.dashboard_support import build_two_wave_db  # noqa: E402


def tree_rss(pid: int) -> int:
    """RSS of a process and all its descendants, in bytes."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


class Sampler(threading.Thread):
    """Samples the server's tree RSS every `step` seconds."""

    def __init__(self, pid: int, step: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.step, self.samples = pid, step, []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.step):
            self.samples.append((time.monotonic(), tree_rss(self.pid)))


async def viewer(browser, url: str, stay: float, retry: float, give_up: float, out: list) -> None:
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await context.new_page()
    start = time.monotonic()
    busy = 0
    try:
        while True:
            attempt = time.monotonic()
            response = await page.goto(url, wait_until="commit", timeout=180_000)
            if response is not None and response.status == 503:
                busy += 1
                if time.monotonic() - start > give_up:
                    out.append({"ok": False, "busy": busy})
                    return
                await asyncio.sleep(retry)
                continue
            await page.wait_for_selector(".maturity-peer-n", timeout=180_000)
            now = time.monotonic()
            out.append({"ok": True, "busy": busy, "first": now - start, "admitted": now - attempt})
            break
        await asyncio.sleep(stay)
    except Exception as exc:  # a page that never arrived is a result, not a crash
        out.append({"ok": False, "busy": busy, "error": type(exc).__name__})
    finally:
        await page.close(run_before_unload=True)  # the tab closes: Voila's beacon frees the kernel
        await context.close()


async def crowd(url: str, n: int, stay: float, retry: float, give_up: float) -> list:
    from playwright.async_api import async_playwright

    out: list = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            await asyncio.gather(*(viewer(browser, url, stay, retry, give_up, out) for _ in range(n)))
        finally:
            await browser.close()
    return out


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=20)
    parser.add_argument("--max-viewers", type=int, default=8)
    parser.add_argument("--stay", type=float, default=20, help="seconds each viewer looks before closing")
    parser.add_argument("--retry", type=float, default=10, help="seconds a turned-away viewer waits to retry")
    parser.add_argument("--give-up", type=float, default=300, help="seconds a viewer keeps retrying")
    parser.add_argument("--orgs", type=int, default=400)
    args = parser.parse_args()
    if skip_reason():
        print(skip_reason())
        return 0
    work = Path(tempfile.mkdtemp(prefix="dash-load-"))
    db, later = build_two_wave_db(work / "bench.duckdb", n_orgs=args.orgs)
    client = work / "acme.yaml"
    client.write_text(yaml.safe_dump({"client_id": "acme", "organisation": later.responses["respondent_id"].iloc[3],
                                      "db": str(db)}), encoding="utf-8")
    server = start_dashboard(db=db, client=client, quiet=True, max_viewers=args.max_viewers)
    try:
        time.sleep(3)
        idle = tree_rss(server.process.pid)
        sampler = Sampler(server.process.pid)
        sampler.start()
        began = time.monotonic()
        results = asyncio.run(crowd(server.url, args.viewers, args.stay, args.retry, args.give_up))
        left = time.monotonic()
        back = None
        while time.monotonic() - left < 180:
            status = server.status()
            if status["in_use"] == 0 and tree_rss(server.process.pid) <= idle * 1.15:
                back = time.monotonic() - left
                break
            time.sleep(1)
        sampler.done.set()
        sampler.join()
        peak = max(rss for _, rss in sampler.samples)
        after = tree_rss(server.process.pid)
    finally:
        server.stop()
    ok = [r for r in results if r["ok"]]
    first = [r["first"] for r in ok]
    admitted = [r["admitted"] for r in ok]
    mb = 1024 * 1024
    lines = [
        ("viewers / limit", f"{args.viewers} / {args.max_viewers} kernels"),
        ("pages that arrived", f"{len(ok)} of {len(results)}"),
        ("turned away at least once (busy page)", str(sum(1 for r in results if r["busy"]))),
        ("first widget, from first attempt p50 / p95", f"{pct(first, 50):.1f} s / {pct(first, 95):.1f} s" if first else "n/a"),
        ("first widget, once admitted p50 / p95", f"{pct(admitted, 50):.1f} s / {pct(admitted, 95):.1f} s" if admitted else "n/a"),
        ("whole crowd served in", f"{left - began:.0f} s"),
        ("server RSS idle / peak (server + kernels)", f"{idle / mb:.0f} MB / {peak / mb:.0f} MB"),
        ("back to idle after the last viewer left", f"{back:.0f} s (RSS {after / mb:.0f} MB)" if back is not None
         else f"not within 180 s (RSS {after / mb:.0f} MB)"),
    ]
    print("Dashboard under a crowd (client mode)")
    for name, value in lines:
        print(f"  {name}: {value}")
    print(f"  goals: every page arrives {'OK' if len(ok) == len(results) else 'MISSED'}; "
          f"peak < 3 GB {'OK' if peak < 3 * 1024 ** 3 else 'MISSED'}; "
          f"idle again within 120 s {'OK' if back is not None and back <= 120 else 'MISSED'}")
    return 0 if len(ok) == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
