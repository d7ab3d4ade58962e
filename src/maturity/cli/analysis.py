"""Subcommands of the `analysis` group: ``reliability``, ``cfa``, ``invariance`` and ``segment``."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import Any

from ..errors import ParametersError
from .options import UsageError, add_format_option, add_framework_option, as_usage_error, print_json

#: Default bootstrap refits of ``maturity segment`` (per k).
SEGMENT_BOOTSTRAP = 20
# Option choices, spelled out so that building the parser does not import SciPy and
# scikit-learn (tests check they equal the library's constants).
MISSING_POLICIES = ("pairwise", "listwise", "median")
OMEGA_METHODS = ("ml", "minres")
ALGORITHMS = ("kmeans", "gmm", "ward")
CFA_MISSING = ("ml", "listwise")
INVARIANCE_CRITERIA = ("fit", "chi2")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``reliability``, ``cfa``, ``invariance`` and ``segment``."""
    p = sub.add_parser(
        "reliability", parents=[common], help="reliability of each strand (alpha, omega, item statistics)",
        description="Cronbach's alpha with a Feldt 95%% CI, McDonald's omega total and item statistics "
                    "for every strand of the framework.",
    )
    p.add_argument("data", metavar="DATA", help="survey response file")
    add_framework_option(p)
    p.add_argument("--missing", choices=MISSING_POLICIES, default="pairwise",
                   help="missing answers: pairwise (default, as psych::alpha), listwise, or median fill")
    p.add_argument("--omega", choices=OMEGA_METHODS, default="ml",
                   help="one-factor estimator behind omega: ml (default, as a lavaan CFA) or minres (as psych::omega)")
    add_format_option(p)
    p.set_defaults(func=run_reliability)

    p = sub.add_parser(
        "cfa", parents=[common], help="confirmatory factor analysis, one factor per strand",
        description="Fit a confirmatory factor model by maximum likelihood (blank answers by full-information "
                    "ML unless --missing listwise) and report chi2, dof, CFI, TLI, RMSEA and SRMR as lavaan "
                    "defines them.",
    )
    p.add_argument("data", metavar="DATA", help="survey response file")
    add_framework_option(p)
    p.add_argument("--model", metavar="FILE",
                   help="a lavaan-style model description file over item ids (default: one factor per strand)")
    p.add_argument("--missing", choices=CFA_MISSING, default="ml",
                   help="blank answers: ml (default, full-information ML over every respondent) or listwise")
    add_format_option(p)
    p.set_defaults(func=run_cfa)

    p = sub.add_parser(
        "invariance", parents=[common], help="measurement invariance across groups (are comparisons fair?)",
        description="Fit the multi-group factor models configural, metric, scalar, strict and equal means "
                    "across the groups of a column (a demographic, any column of the file, or wave: all "
                    "waves of the database), compare them, look for partial invariance and say which "
                    "comparisons the data support.",
    )
    p.add_argument("data", metavar="DATA", nargs="?", help="survey response file (or use --db)")
    p.add_argument("--db", metavar="PATH", help="benchmark database")
    p.add_argument("--wave", metavar="W", help="wave label in the database (default: the latest; not with --group wave)")
    p.add_argument("--group", metavar="COLUMN", required=True,
                   help="column whose groups are compared (e.g. sector; wave compares the database's waves)")
    add_framework_option(p)
    p.add_argument("--model", metavar="FILE",
                   help="a lavaan-style measurement model over item ids (default: one factor per strand)")
    p.add_argument("--free", metavar="PARAM", nargs="+", action="extend", default=[],
                   help="parameters never held equal, in lavaan's spelling: item~1 (intercept), "
                        "strand=~item (loading), item~~item (residual variance)")
    p.add_argument("--missing", choices=CFA_MISSING, default="ml",
                   help="blank answers: ml (default, full-information ML) or listwise")
    p.add_argument("--criterion", choices=INVARIANCE_CRITERIA, default="fit",
                   help="a step holds when CFI falls by <= 0.01 and RMSEA rises by <= 0.015 (fit, default) "
                        "or when the chi-square difference test is not significant (chi2)")
    add_format_option(p)
    p.set_defaults(func=run_invariance)

    p = sub.add_parser(
        "segment", parents=[common], help="group organisations into maturity segments",
        description="Segment organisations by their standardised strand scores; k is chosen by the "
                    "silhouette (BIC for gmm) with bootstrap stability per k. With --db the fitted model "
                    "is stored with its wave.",
    )
    p.add_argument("data", metavar="DATA", nargs="?", help="survey response file (or use --db)")
    p.add_argument("--db", metavar="PATH", help="benchmark database")
    p.add_argument("--wave", metavar="W", help="wave label in the database (default: the latest)")
    add_framework_option(p)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--k", type=int, metavar="K", help="a fixed number of segments")
    group.add_argument("--k-range", metavar="LO-HI", default="2-8", help="range of k to choose from (default 2-8)")
    p.add_argument("--algorithm", choices=ALGORITHMS, default="kmeans", help="clustering method (default kmeans)")
    p.add_argument("--criterion", choices=("auto", "silhouette", "bic"), default="auto",
                   help="how k is chosen: auto (BIC for gmm, silhouette otherwise), silhouette, or bic (gmm only)")
    p.add_argument("--bootstrap", type=int, default=SEGMENT_BOOTSTRAP, metavar="B",
                   help=f"bootstrap refits per k for stability (default {SEGMENT_BOOTSTRAP}; 0 skips)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    add_format_option(p)
    p.set_defaults(func=run_segment)


# --- reliability -------------------------------------------------------------------------------


def run_reliability(args: argparse.Namespace) -> int:
    from ..analysis.reliability import item_reliability, reliability, reliability_report
    from ..data.population import load_benchmark

    bench = load_benchmark(args.data, framework=args.framework)
    fw = bench.framework
    if args.format == "json":
        print_json(reliability_report(bench.responses, fw, missing=args.missing, omega=args.omega))
        return 0
    table = reliability(bench.responses, fw, missing=args.missing, omega=args.omega)
    items = item_reliability(bench.responses, fw, missing=args.missing)
    out = [
        f"Reliability of {fw.name} ({bench.n:,} respondents; missing answers: {args.missing}; "
        f"omega: {args.omega})",
        "",
    ]
    width = max(len(n) for n in table["name"]) + 2
    out.append(f"{'strand':<{width}}{'n':>7}{'items':>7}{'alpha':>8}  {'95% CI':<16}{'omega':>7}")
    for _sid, row in table.iterrows():
        ci = f"[{_fmt(row['alpha_ci_low'])}, {_fmt(row['alpha_ci_high'])}]"
        out.append(f"{row['name']:<{width}}{row['n_respondents']:>7,}{row['n_items']:>7}{_fmt(row['alpha']):>8}  "
                   f"{ci:<16}{_fmt(row['omega_total']):>7}")
    raising = items[items["alpha_if_deleted"] > items["strand"].map(table["alpha"]) + 1e-9]
    out.append("")
    if len(raising):
        out.append("Items whose deletion would raise their strand's alpha:")
        for item, row in raising.iterrows():
            out.append(f"  {item} ({row['strand']}): alpha if deleted {_fmt(row['alpha_if_deleted'])}, "
                       f"item-rest r {_fmt(row['item_rest_r'])}")
    else:
        out.append("No item's deletion would raise its strand's alpha.")
    print("\n".join(out))
    return 0


def _fmt(value: Any, digits: int = 2) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return "-"
    return "-" if value != value else f"{value:.{digits}f}"


# --- cfa ---------------------------------------------------------------------------------------


def _read_model(path_text: str | None) -> str | None:
    if not path_text:
        return None
    path = Path(path_text)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the model description: {exc.strerror or exc}") from None


def run_cfa(args: argparse.Namespace) -> int:
    from ..analysis.cfa import framework_cfa
    from ..data.population import load_benchmark

    model = _read_model(args.model)
    bench = load_benchmark(args.data, framework=args.framework)
    fit = framework_cfa(bench.responses, bench.framework, model=model, missing=args.missing)
    if args.format == "json":
        print_json(fit.to_dict())
        return 0
    what = "custom model" if model else f"one factor per strand of {bench.framework.name}"
    used = (f"{fit.n:,} with an answer, blanks by full-information ML ({fit.n_excluded:,} with no answer left out)"
            if fit.missing == "ml" else f"{fit.n:,} with every item answered ({fit.n_excluded:,} left out)")
    out = [
        f"Confirmatory factor analysis ({what}; maximum likelihood)",
        f"  respondents:  {used}",
        f"  chi2 = {fit.chi2:.2f}, dof = {fit.dof}, p = {_p(fit.pvalue)}",
        f"  CFI   {_fmt(fit.cfi, 3)}   (>= 0.95 good)",
        f"  TLI   {_fmt(fit.tli, 3)}   (>= 0.95 good)",
        f"  RMSEA {_fmt(fit.rmsea, 3)}   (<= 0.06 good)",
        f"  SRMR  {_fmt(fit.srmr, 3)}   (<= 0.08 good)",
    ]
    print("\n".join(out))
    return 0


def _p(value: float) -> str:
    if value != value:
        return "-"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


# --- invariance --------------------------------------------------------------------------------


def run_invariance(args: argparse.Namespace) -> int:
    from ..analysis.invariance import all_waves, framework_invariance
    from ..data.population import load_benchmark

    if (args.data is None) == (args.db is None):
        raise UsageError("give either a data file or --db PATH, not both or neither")
    if args.wave is not None and args.db is None:
        raise UsageError("--wave needs --db")
    model = _read_model(args.model)
    if args.db is not None and args.group == "wave":
        if args.wave is not None:
            raise UsageError("--group wave compares every wave of the database; leave out --wave")
        fw, responses = all_waves(args.db, framework=args.framework)
        source = f"all waves of {args.db}"
    else:
        bench = load_benchmark(args.data, db=args.db, wave=args.wave, framework=args.framework)
        fw, responses, source = bench.framework, bench.responses, bench.source
    with as_usage_error(ParametersError):  # the --group column is checked by the library
        result = framework_invariance(responses, fw, args.group, model=model, free=args.free, missing=args.missing,
                                      criterion=args.criterion)
    if args.format == "json":
        print_json(result.to_dict())
        return 0
    print("\n".join(_invariance_text(result, fw, source, custom=model is not None)))
    return 0


def _invariance_text(result, fw, source: str, *, custom: bool) -> list[str]:
    what = "custom model" if custom else f"one factor per strand of {fw.name}"
    blanks = "blanks by full-information ML" if result.missing == "ml" else "complete answers only"
    out = [f"Measurement invariance across {result.group} ({what}; {blanks}; {source})",
           "Groups: " + ", ".join(f"{g} ({n:,})" for g, n in result.groups.items())]
    if result.excluded_groups:
        out.append("Left out, too small: " + ", ".join(f"{g} ({v['n']:,})" for g, v in result.excluded_groups.items()))
    out += ["", f"{'model':<16}{'chi2':>11}{'dof':>7}{'p':>9}{'CFI':>8}{'TLI':>8}{'RMSEA':>8}{'SRMR':>8}{'BIC':>13}"]
    for name, m in result.models.items():
        out.append(f"{name:<16}{m['chi2']:>11.2f}{m['dof']:>7}{_p(m['pvalue']):>9}{_fmt(m['cfi'], 3):>8}"
                   f"{_fmt(m['tli'], 3):>8}{_fmt(m['rmsea'], 3):>8}{_fmt(m['srmr'], 3):>8}{m['bic']:>13.1f}")
    out += ["", f"{'comparison':<32}{'d chi2':>9}{'d dof':>7}{'p':>9}{'d CFI':>8}{'d RMSEA':>9}  holds"]
    for row in result.comparisons:
        label = f"{row['model']} vs {row['against']}"
        out.append(f"{label:<32}{row['chi2_diff']:>9.2f}{row['dof_diff']:>7}{_p(row['pvalue']):>9}"
                   f"{row['cfi_change']:>8.3f}{row['rmsea_change']:>9.3f}  {'yes' if row['holds'] else 'no'}")
    for step, tests in result.score_tests.items():
        top = ", ".join(f"{t['parameter']} {t['statistic']:.1f} (p {_p(t['pvalue'])})" for t in tests[:5])
        out += ["", f"Largest score tests where {step} invariance failed: {top}"]
    if result.freed:
        out.append(f"Freed for partial invariance: {', '.join(result.freed)}")
    out += [""] + textwrap.wrap(f"Verdict: {result.verdict}", width=100)
    return out


# --- segment -----------------------------------------------------------------------------------


def run_segment(args: argparse.Namespace) -> int:
    from ..analysis.segments import SegmentModel, parse_k_range
    from ..data.population import load_benchmark

    if (args.data is None) == (args.db is None):
        raise UsageError("give either a data file or --db PATH, not both or neither")
    if args.wave is not None and args.db is None:
        raise UsageError("--wave needs --db")
    if args.k is not None and args.k < 2:
        raise UsageError(f"--k must be at least 2, got {args.k}")
    if args.bootstrap < 0:
        raise UsageError(f"--bootstrap must be 0 or more, got {args.bootstrap}")
    if args.criterion == "bic" and args.algorithm != "gmm":
        raise UsageError("--criterion bic needs the Gaussian mixture (--algorithm gmm)")
    with as_usage_error(ParametersError):
        k_range = parse_k_range(args.k_range)
    bench = load_benchmark(args.data, db=args.db, wave=args.wave, framework=args.framework)
    fw = bench.framework
    attributes = bench.responses[[d for d in fw.demographic_ids if d in bench.responses.columns]]
    model = SegmentModel(
        algorithm=args.algorithm, k=args.k, k_range=k_range, n_bootstrap=args.bootstrap,
        random_state=args.seed, strands=fw.strand_ids, criterion=args.criterion,
    ).fit(bench.scores, outcomes=bench.outcomes, attributes=attributes)
    saved = _save_to_store(args.db, bench.wave, model) if args.db is not None else None
    if args.format == "json":
        print_json(model.summary())
        return 0
    _print_segments(model, fw, bench.n, saved)
    return 0


def _save_to_store(db: str, wave: str | None, model) -> str:
    """Store the fitted model as the wave's ``segments`` artifact (JSON); return the wave label."""
    from ..analysis.segments import save_segments
    from ..data.store import BenchmarkStore

    with BenchmarkStore(db) as store:
        return save_segments(store, wave, model)


def _print_segments(model, fw, n_total: int, saved: str | None) -> None:
    sel = model.selection_
    how = "fixed" if len(sel) == 1 else (
        "chosen by BIC" if model.criterion == "bic" or (model.criterion == "auto" and model.algorithm == "gmm")
        else "chosen by silhouette")
    span = f" over {sel.index.min()}-{sel.index.max()}" if len(sel) > 1 else ""
    out = [
        f"Segments: {model.algorithm}, k = {model.k_} ({how}{span}); silhouette {_fmt(model.silhouette_)}, "
        f"stability (mean bootstrap ARI) {_fmt(model.stability_)}",
        f"{model.n_fitted_:,} of {n_total:,} organisations have every strand score and are segmented.",
        "",
        f"{'k':>3}{'silhouette':>12}{'stability':>11}" + (f"{'BIC':>12}" if sel["bic"].notna().any() else ""),
    ]
    for k, row in sel.iterrows():
        line = f"{k:>3}{_fmt(row['silhouette'], 3):>12}{_fmt(row['stability_ari'], 3):>11}"
        if sel["bic"].notna().any():
            line += f"{_fmt(row['bic'], 1):>12}"
        out.append(line + ("  <- chosen" if row["chosen"] else ""))
    out.append("")
    profiles = model.profiles_
    names = fw.strand_names()
    width = max(len(names.get(s, s)) for s in model.feature_names_in_) + 2
    seg_width = max(12, *(len(s) + 2 for s in model.segment_names_))
    out.append(f"{'':<{width}}" + "".join(f"{s:>{seg_width}}" for s in model.segment_names_))
    out.append(f"{'organisations':<{width}}" + "".join(f"{int(profiles.loc[s, 'n']):>{seg_width},}"
                                                       for s in model.segment_names_))
    for strand in model.feature_names_in_:
        out.append(f"{names.get(strand, strand):<{width}}"
                   + "".join(f"{_fmt(profiles.loc[s, strand], 1):>{seg_width}}" for s in model.segment_names_))
    if "index" in profiles.columns:
        out.append(f"{'Maturity index':<{width}}"
                   + "".join(f"{_fmt(profiles.loc[s, 'index'], 1):>{seg_width}}" for s in model.segment_names_))
    if saved is not None:
        out += ["", f"Saved the segment model with wave {saved}."]
    print("\n".join(out))
