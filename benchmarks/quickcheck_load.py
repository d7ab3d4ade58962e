"""A crowd on the Quick Check: 100 respondents in one minute, over real HTTP.

Builds the demo's benchmark database (two synthetic waves of 600 organisations, published),
starts `maturity quickcheck --collect` as its own process, then lets ``--respondents``
simulated respondents arrive evenly over ``--seconds``: each opens the form (GET), posts a
complete set of answers with its cookies and XSRF field, and follows the redirect to its
result. A sampler reads the server's resident memory (RSS, the process and any children)
every quarter second. Printed:

* submissions written to the folder / sent (goal: all of them);
* submit-to-result time, p50 and p95 (from sending the answers to the result page read in
  full; goal p95 < 2 s); opening the form, p50 and p95;
* the server's RSS when idle, at the peak (goal < 3 GB) and after the crowd: every few
  seconds for up to ``--settle`` seconds, until it is within 10% of the idle level.

    python benchmarks/quickcheck_load.py [--respondents 100] [--seconds 60] [--orgs 600]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _util import build_demo_database, report  # noqa: E402

import psutil  # noqa: E402

from maturity.dashboard.quickcheck_form import QuickCheckForm  # noqa: E402
from maturity.framework import load_framework  # noqa: E402
from tests.quickcheck_support import Visitor, answer_everything, form_fields  # noqa: E402


def rss(process: psutil.Process) -> int:
    """Resident bytes of ``process`` and its children."""
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


class Sampler(threading.Thread):
    """Samples a process tree's RSS until stopped; keeps the peak."""

    def __init__(self, process: psutil.Process) -> None:
        super().__init__(daemon=True)
        self.process, self.peak, self.done = process, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.25):
            self.peak = max(self.peak, rss(self.process))


def start_server(db: Path, folder: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "maturity.cli", "quickcheck", "--db", str(db),
                             "--collect", str(folder)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if "running at" in line:
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep the pipe drained
            return proc, line.split("running at", 1)[1].split()[0]
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("the quick check did not start")


def respondent(url: str, k: int, framework, out: list) -> None:
    """One respondent: open the form, submit, read the result."""
    try:
        visitor = Visitor(url)
        t0 = time.perf_counter()
        opened = visitor.get()
        t1 = time.perf_counter()
        form = QuickCheckForm(framework)
        answer_everything(form, f"Crowd Member {k:03d}", shift=k)
        result = visitor.post("./", form_fields(form))
        t2 = time.perf_counter()
        ok = opened.status == 200 and result.status == 200 and "qc-index" in result.text
        out.append((ok, t1 - t0, t2 - t1, result.status))
    except Exception as exc:  # counted as a lost submission
        out.append((False, 0.0, 0.0, repr(exc)))


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--orgs", type=int, default=600)
    parser.add_argument("--settle", type=float, default=120.0)
    args = parser.parse_args()
    framework = load_framework()
    with tempfile.TemporaryDirectory() as tmp:
        db, folder = Path(tmp) / "benchmark.duckdb", Path(tmp) / "submissions"
        t0 = time.perf_counter()
        build_demo_database(db, args.orgs)
        print(f"demo database: {args.orgs:,} organisations x 2 waves, published, built in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        proc, url = start_server(db, folder)
        print(f"server ready in {time.perf_counter() - t0:.1f} s at {url}")
        server = psutil.Process(proc.pid)
        try:
            time.sleep(1.0)
            idle = rss(server)
            sampler = Sampler(server)
            sampler.start()
            out: list = []
            threads = []
            start = time.perf_counter()
            for k in range(args.respondents):
                delay = start + k * args.seconds / args.respondents - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                thread = threading.Thread(target=respondent, args=(url, k, framework, out))
                thread.start()
                threads.append(thread)
            for thread in threads:
                thread.join()
            crowd = time.perf_counter() - start
            after = rss(server)
            waited = 0.0
            while waited < args.settle and rss(server) > idle * 1.10:
                time.sleep(5)
                waited += 5
            settled = rss(server)
            sampler.done.set()
            sampler.join()
            written = len(list(folder.glob("qc-*.csv")))
        finally:
            proc.terminate()
            proc.wait(30)
    ok_replies = [o for o in out if o[0]]
    failed = [o[3] for o in out if not o[0]]
    submits = [o[2] for o in ok_replies]
    opens = [o[1] for o in ok_replies]
    gb = 1024 ** 3
    print(f"{args.respondents} respondents over {args.seconds:.0f} s (the crowd took {crowd:.1f} s)")
    print(f"submissions written / sent: {written}/{args.respondents}; results shown: {len(ok_replies)}"
          + (f"; failures: {failed[:5]}" if failed else ""))
    print(f"opening the form: p50 {statistics.median(opens):.3f} s, p95 {p95(opens):.3f} s")
    print(f"submit to result: p50 {statistics.median(submits):.3f} s, p95 {p95(submits):.3f} s, max {max(submits):.3f} s")
    print(f"server RSS: idle {idle / 2**20:.0f} MB, peak {sampler.peak / 2**20:.0f} MB, right after {after / 2**20:.0f} MB, "
          f"{'back within 10% of idle' if settled <= idle * 1.10 else 'still above idle +10%'} after {waited:.0f} s "
          f"({settled / 2**20:.0f} MB)")
    good = report("submissions written (of those sent)", written / args.respondents, 1.0, "", lower_is_better=False)
    good &= report("submit-to-result p95", p95(submits), 2.0, " s")
    good &= report("server peak RSS", sampler.peak / gb, 3.0, " GB")
    print(f"ratios to goal: p95 {p95(submits) / 2.0:.3f}, peak RSS {sampler.peak / gb / 3.0:.3f} (<= 1 meets the goal)")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
