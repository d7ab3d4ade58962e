"""Speed of the confidential benchmark: a wave's release plan, its audit, and what the plan
costs a client report.

Goals: the audit (exact audit plus attack search) of a 5,000-organisation wave with
10 sectors x 4 sizes x 6 regions in under 10 s; building the plan is a once-per-wave step
(reported, no goal); a client's results with the wave's stored plan at most 10% slower than
the same results without the plan's work (loading the stored plan, resolving the peer group
and finding its members are timed and compared with the rest).

    python benchmarks/privacy.py [--orgs 5000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import best_of, report  # noqa: E402

import maturity  # noqa: E402
from maturity.benchmarking.client_parameters import ClientParameters  # noqa: E402
from maturity.benchmarking.client_results import client_results  # noqa: E402
from maturity.benchmarking.privacy_audit import audit_release, wave_release  # noqa: E402
from maturity.benchmarking.release_plan import PrivacySettings, group_members  # noqa: E402
from maturity.benchmarking.wave_models import save_release_plan, save_wave_segments, wave_release_plan, wave_segments  # noqa: E402
from maturity.data.population import wave_from_store  # noqa: E402
from maturity.data.store import BenchmarkStore  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=5000)
    args = parser.parse_args()
    fw = maturity.load_framework()
    sizes = {d.id: len(d.values) for d in fw.demographics}
    print(f"wave of {args.orgs} organisations, demographics {sizes}")
    bench = maturity.generate_benchmark(args.orgs, seed=11)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        with BenchmarkStore(db) as store:
            store.import_responses(bench.responses, fw, "2026")
            save_wave_segments(store, "2026")
            data = wave_from_store(store, "2026")
            release = wave_release(data, wave_segments(store, "2026", data))
            start = time.perf_counter()
            plan = release.plan(PrivacySettings())
            plan_seconds = time.perf_counter() - start
            start = time.perf_counter()
            audit = audit_release(release, plan)
            audit_seconds = time.perf_counter() - start
            save_release_plan(store, "2026", PrivacySettings())
        print(f"plan: {plan_seconds:.2f} s, {len(plan.released_groups)} groups released, "
              f"{100 * plan.share_as_asked:.0f}% of single-demographic groups as asked; audit safe: {audit.safe}")
        ok &= report("audit of the wave's release (exact audit + attack search)", audit_seconds, 10.0, " s")
        ok &= audit.safe

        org = str(bench.responses["respondent_id"].iloc[0])
        sector = str(bench.responses["sector"].iloc[0])
        params = ClientParameters(client_id="bench", db=db, organisation=org, peers={"sector": (sector,)})
        total = best_of(lambda: client_results(params), repeat=3)

        with BenchmarkStore(db, read_only=True) as store:
            # What client results do for the plan, on the store they already hold open:
            # load the stored plan, resolve the peer group, find its members.
            def plan_work() -> None:
                plan = wave_release_plan(store, "2026", data, None, min_group_size=5)
                group, _note = plan.resolve({"sector": (sector,)}, data.responses, data.scores, client_id=org)
                group_members(data.responses, plan.population(data.responses, data.scores), group["filters"])

            privacy = best_of(plan_work, repeat=5)
        print(f"client results: {total:.2f} s, of which the release plan (load + resolve) {privacy:.3f} s")
        ok &= report("client results: slowdown from the release plan", privacy / max(total - privacy, 1e-9), 0.10)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
