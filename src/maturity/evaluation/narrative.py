"""Plain words for a senior leader, made from an evaluation's figures.

:func:`answer` is the one-page answer (did it work, how sure are we, what is it worth
against what it cost); the ``*_markdown`` functions are the report's sections. Every
sentence comes from the numbers of ``evaluation.json``; nothing here computes a statistic.
"""

from __future__ import annotations

from typing import Any, Mapping

from .results import COMPARISON, ESTIMATES, ISOLATION_METHODS, UNISOLATED

_NONE = "n/a"


def _num(value: Any, digits: int = 2) -> str:
    return _NONE if value is None else f"{value:,.{digits}f}"


def _ci(entry: Mapping[str, Any] | None, digits: int = 2, unit: str = "") -> str:
    if not entry or entry.get("ci") is None or None in entry["ci"]:
        return ""
    lo, hi = entry["ci"]
    return f" ({_num(lo, digits)}{unit} to {_num(hi, digits)}{unit})"


def money(value: Any, currency: str = "") -> str:
    """An amount of money for the report: ``GBP 12,300`` (no decimals)."""
    if value is None:
        return _NONE
    sign = "-" if value < 0 else ""
    return f"{sign}{currency + ' ' if currency else ''}{abs(value):,.0f}"


def _excludes_zero(entry: Mapping[str, Any] | None) -> int:
    """+1 when the interval lies above zero, -1 below, 0 when it holds zero or is missing."""
    if not entry or entry.get("ci") is None or None in entry["ci"]:
        return 0
    lo, hi = entry["ci"]
    return 1 if lo > 0 else (-1 if hi < 0 else 0)


def answer(evaluation: Mapping[str, Any]) -> dict[str, Any]:
    """The one-page answer: ``verdict`` (``worked``, ``mixed``, ``no clear effect``,
    ``not isolated``, ``no results``), ``worked``, ``how_sure``, ``worth`` (sentences) and
    ``headline`` (one sentence)."""
    results = evaluation.get("results") or {}
    design = (evaluation.get("design") or {}).get("isolation")
    currency = (evaluation.get("cost") or {}).get("currency", "")
    roi = evaluation.get("roi") or {}
    improved, worsened, unclear = [], [], []
    for name, entry in results.items():
        effect = entry["effect"]
        direction = _excludes_zero(effect) * (1 if entry["direction"] == "up" else -1)
        (improved if direction > 0 else worsened if direction < 0 else unclear).append(entry.get("label") or name)
    if not results:
        verdict = "no results"
    elif design == UNISOLATED:
        verdict = "not isolated"
    elif improved and not worsened:
        verdict = "worked" if not unclear else "mixed"
    elif improved:
        verdict = "mixed"
    else:
        verdict = "no clear effect"

    worked: list[str] = []
    if results:
        if improved:
            worked.append(f"The programme improved {_join(improved)}" + (
                f"; the effect on {_join(unclear)} is too uncertain to call" if unclear else "") + ".")
        elif design != UNISOLATED:
            worked.append("No KPI moved clearly beyond what happened anyway: the intervals include no effect.")
        if worsened:
            worked.append(f"{_join(worsened)} moved the wrong way.")
        if design == UNISOLATED:
            worked.append("The KPIs were only measured before and after for trained units, so the change cannot be "
                          "credited to the programme.")
    learning = evaluation.get("learning") or {}
    dz = (learning.get("d_z") or {})
    if dz.get("estimate") is not None:
        worked.append(f"Participants learned: test scores rose by d_z = {_num(dz['estimate'])}{_ci(dz)} "
                      f"standard deviations of the change ({learning['n']} learners).")
    behaviour = evaluation.get("behaviour") or {}
    rater = (behaviour.get("raters") or {}).get("manager") or (behaviour.get("raters") or {}).get("self")
    if rater and rater["change"]["estimate"] is not None:
        who = "managers" if "manager" in behaviour["raters"] else "learners themselves"
        worked.append(f"Behaviour at work changed by {_num(rater['change']['estimate'])} scale points"
                      f"{_ci(rater['change'])}, as rated by {who}.")

    how_sure: list[str] = []
    if design:
        info = ISOLATION_METHODS[design]
        how_sure.append(f"Isolation method: {info['method']}. It measures {info['meaning']}.")
        if design == ESTIMATES:
            how_sure.append("Participants' estimates are a weaker basis than a comparison group: treat the figures "
                            "as a considered judgement, not a measurement.")
    level = int(round(100 * evaluation.get("confidence", 0.95)))
    how_sure.append(f"Ranges are {level}% intervals: the true value lies in them {level} times in 100.")
    chain = evaluation.get("chain") or {}
    if chain.get("breaks_at"):
        how_sure.append(f"The chain of evidence is weakest at {chain['breaks_at']}: participants who did better at "
                        "the first did not clearly do better at the second.")

    worth: list[str] = []
    cost = roi.get("cost", (evaluation.get("cost") or {}).get("total"))
    if roi.get("benefit"):
        benefit, percent, bcr = roi["benefit"], roi["percent"], roi["bcr"]
        worth.append(f"Benefit {money(benefit['estimate'], currency)} (range {money(benefit['ci'][0], currency)} to "
                     f"{money(benefit['ci'][1], currency)}) against a cost of {money(cost, currency)}.")
        worth.append(f"ROI {_num(percent['estimate'], 0)}%{_ci(percent, 0, '%')}; benefit-cost ratio "
                     f"{_num(bcr['estimate'])}{_ci(bcr)}.")
        worth.append(f"Conservative reading (lower end of the range): ROI {_num(percent['conservative'], 0)}%, "
                     f"{_num(bcr['conservative'])} back for each 1 spent; the benefit covers the cost in "
                     f"{_num(100 * (roi.get('break_even_probability') or 0), 0)}% of resamples.")
    elif cost is not None:
        worth.append(f"The programme cost {money(cost, currency)}; without a results file its value in money is "
                     "not measured.")
    headline = _headline(verdict, roi, currency, design)
    return {"verdict": verdict, "headline": headline, "worked": worked, "how_sure": how_sure, "worth": worth,
            "improved": improved, "unclear": unclear, "worsened": worsened}


def _headline(verdict: str, roi: Mapping[str, Any], currency: str, design: str | None) -> str:
    percent = (roi.get("percent") or {}) if roi else {}
    roi_text = ""
    if percent.get("estimate") is not None:
        if verdict in ("worked", "mixed") and percent["estimate"] < 0:
            roi_text = " But in one period its benefit does not cover its cost."
        roi_text += (f" ROI {_num(percent['estimate'], 0)}%{_ci(percent, 0, '%')}, "
                    f"at least {_num(percent['conservative'], 0)}% on the conservative reading.")
    how = {COMPARISON: " against a comparison group", ESTIMATES: " on participants' estimates (weaker method)"}
    return {
        "worked": f"Yes: the programme worked{how.get(design, '')}.",
        "mixed": f"Partly: some KPIs improved{how.get(design, '')}, others are unclear.",
        "no clear effect": f"Not shown: no KPI moved clearly{how.get(design, '')}.",
        "not isolated": "Unknown: the KPIs changed, but nothing isolates the programme's part.",
        "no results": "Results not measured: see reaction, learning and behaviour below.",
    }[verdict] + roi_text


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# --- report sections ---------------------------------------------------------------------------------


def answer_markdown(evaluation: Mapping[str, Any]) -> str:
    """The one-page answer as Markdown."""
    a = evaluation["answer"]
    plan = evaluation.get("plan") or {}
    facts = [f"**Programme:** {evaluation['programme']}"]
    for key, label in (("owner", "Owner"), ("audience", "Audience")):
        if plan.get(key):
            facts.append(f"**{label}:** {plan[key]}")
    dates = plan.get("dates") or {}
    if dates:
        facts.append(f"**Dates:** {dates.get('start', '?')} to {dates.get('end', '?')}")
    lines = [f"# {evaluation['programme']}: did it work?", "", "  \n".join(facts), "",
             f"## {a['headline']}", ""]
    for title, key in (("Did it work?", "worked"), ("How sure are we?", "how_sure"),
                       ("What is it worth against what it cost?", "worth")):
        if a[key]:
            lines += [f"**{title}**", ""] + [f"- {s}" for s in a[key]] + [""]
    return "\n".join(lines)


def _measures(evaluation: Mapping[str, Any], level: str) -> list[str]:
    """The plan's words for what a level's file measures, as a line of the section."""
    said = ((evaluation.get("plan") or {}).get("measures") or {}).get(level)
    return [f"*What it measures:* {said}", ""] if said else []


def reaction_markdown(evaluation: Mapping[str, Any]) -> str:
    r = evaluation.get("reaction")
    if not r:
        return "## Level 1: Reaction\n\nNo reaction file was given."
    lo, hi = r["scale"]
    text = ["## Level 1: Reaction", "", *_measures(evaluation, "reaction"),
            f"{r['n']} participants rated the programme {_num(r['overall']['estimate'])}{_ci(r['overall'])} "
            f"on average on a {lo:g}-{hi:g} scale."]
    if r.get("nps") and r["nps"]["estimate"] is not None:
        n = r["nps"]
        text.append(f"Net Promoter Score {_num(n['estimate'], 0)}{_ci(n, 0)} from {n['n']} answers "
                    f"({_num(100 * n['promoters'], 0)}% promoters, {_num(100 * n['detractors'], 0)}% detractors).")
    text += ["", "| Item | Mean | Range | n |", "|---|---|---|---|"]
    for item, e in r["items"].items():
        text.append(f"| {item} | {_num(e['estimate'])} | {_ci(e).strip(' ()')} | {e['n']} |")
    return "\n".join(text)


def learning_markdown(evaluation: Mapping[str, Any]) -> str:
    r = evaluation.get("learning")
    if not r:
        return "## Level 2: Learning\n\nNo learning file was given."
    return "\n".join([
        "## Level 2: Learning", "", *_measures(evaluation, "learning"),
        f"{r['n']} learners took the test before and after. The mean score went from {_num(r['pre']['estimate'], 1)} "
        f"to {_num(r['post']['estimate'], 1)}: a change of {_num(r['change']['estimate'], 1)}{_ci(r['change'], 1)}.",
        "",
        f"- Standardised change d_z = {_num(r['d_z']['estimate'])}{_ci(r['d_z'])} (the change over its spread).",
        f"- Hedges' g_av = {_num(r['g_av']['estimate'])}{_ci(r['g_av'])} (the change over the spread of scores).",
        f"- Normalised gain {_num(100 * r['normalised_gain']['estimate'] if r['normalised_gain']['estimate'] is not None else None, 0)}%"
        f" of the possible improvement{_ci({'ci': [None if v is None else 100 * v for v in r['normalised_gain']['ci']]}, 0, '%')}.",
    ] + ([f"- {r['n_incomplete']} learners without both scores are left out."] if r.get("n_incomplete") else []))


def behaviour_markdown(evaluation: Mapping[str, Any]) -> str:
    r = evaluation.get("behaviour")
    if not r:
        return "## Level 3: Behaviour\n\nNo behaviour file was given."
    lines = ["## Level 3: Behaviour", "", *_measures(evaluation, "behaviour"),
             "| Rater | n | Before | After | Change | d_z |", "|---|---|---|---|---|---|"]
    for rater, e in r["raters"].items():
        lines.append(f"| {rater} | {e['n']} | {_num(e['before']['estimate'])} | {_num(e['after']['estimate'])} | "
                     f"{_num(e['change']['estimate'])}{_ci(e['change'])} | {_num(e['d_z']['estimate'])} |")
    agreement = r.get("agreement")
    if agreement:
        corr, gap = agreement["correlation"], agreement["self_minus_manager"]
        lines += ["", f"Learners and their managers agree on who changed most at r = {_num(corr['estimate'])}"
                      f"{_ci(corr)}; learners rate their own change {_num(gap['estimate'])}{_ci(gap)} points "
                      "higher than their managers do" + (" (a usual optimism)." if (gap['estimate'] or 0) > 0 else ".")]
    return "\n".join(lines)


def results_markdown(evaluation: Mapping[str, Any]) -> str:
    results = evaluation.get("results")
    if not results:
        return "## Level 4: Results\n\nNo results file was given."
    design = evaluation["design"]
    currency = (evaluation.get("cost") or {}).get("currency", "")
    lines = ["## Level 4: Results", "", *_measures(evaluation, "results"),
             f"**Isolation method: {design['method']}.** It measures {design['meaning']}.", "",
             "| KPI | Wanted | Change in trained units | Isolated effect per unit | Method | Benefit |",
             "|---|---|---|---|---|---|"]
    for name, e in results.items():
        lines.append(
            f"| {e['label']} | {e['direction']} | {_num(e['change']['estimate'])}{_ci(e['change'])} | "
            f"{_num(e['effect']['estimate'])}{_ci(e['effect'])} | {ISOLATION_METHODS[e['effect']['isolation']]['strength']}"
            f" ({e['effect']['isolation']}) | {money(e['benefit']['estimate'], currency)} |")
    checks = [f"{e['label']} {_num(e['estimates']['estimate'])}{_ci(e['estimates'])}" for e in results.values()
              if (e.get("estimates") or {}).get("role") == "cross-check"]
    if checks:
        lines += ["", "As a cross-check, participants' own estimates (change x contribution x confidence, the weaker "
                      f"method) credit the programme with: {'; '.join(checks)} per unit."]
    if design["isolation"] == COMPARISON:
        lines += ["", f"{design['n_trained']} trained units against the comparison group; standard errors allow for "
                      f"{design['n_clusters']} clusters" + (f" ({design['cluster']})." if design.get("cluster") else " (units).")]
    return "\n".join(lines)


def chain_markdown(evaluation: Mapping[str, Any]) -> str:
    chain = evaluation.get("chain") or {}
    if not chain.get("links"):
        return "## Chain of evidence\n\nToo few levels are measured on the same participants to follow the chain."
    lines = ["## Chain of evidence", "", "| Link | Correlation | n | Holds |", "|---|---|---|---|"]
    for link in chain["links"]:
        lines.append(f"| {link['from']} -> {link['to']} | {_num(link['estimate'])}{_ci(link)} | {link['n']} | "
                     f"{'yes' if link['holds'] else 'not shown'} |")
    lines += ["", f"The chain breaks at {chain['breaks_at']}." if chain.get("breaks_at")
              else "Every measured link holds: participants who did better at one level did better at the next."]
    return "\n".join(lines)


def success_markdown(evaluation: Mapping[str, Any]) -> str:
    cases = evaluation.get("success_cases") or {}
    if not cases.get("most"):
        return "## Success cases\n\nNo behaviour or results change per participant to choose cases from."
    lines = ["## Success cases to interview", "",
             f"Chosen by {' and '.join(cases['basis'])} change among {cases['n']} participants (Brinkerhoff's "
             "success case method): interview both ends to learn what made the difference.", ""]
    for title, key in (("Most successful", "most"), ("Least successful", "least")):
        lines += [f"**{title}**", ""]
        for row in cases[key]:
            story = f": \u201c{row['story']}\u201d" if row.get("story") else ""
            lines.append(f"- {row['learner_id']} (score {_num(row['score'])}){story}")
        lines.append("")
    return "\n".join(lines)


def norms_markdown(evaluation: Mapping[str, Any]) -> str:
    """The programme among other organisations' stored programmes (when the run had a database)."""
    norms = evaluation.get("norms")
    if not norms:
        return ""
    lines = [f"## Against other programmes ({norms['group']})", "",
             "| Figure | This programme | Other organisations | Mean of others | Position |", "|---|---|---|---|---|"]
    for entry in norms["metrics"].values():
        if "withheld" in entry:
            others, position = "withheld", entry["withheld"]
        else:
            others, position = _num(entry["mean"]), entry.get("position", _NONE)
        lines.append(f"| {entry['label']} | {_num(entry['value'])} | {entry['n_organisations']} | {others} | {position} |")
    lines += ["", f"No figure is shown about fewer than {norms['min_group_size']} organisations; each organisation "
                  "counts once."]
    return "\n".join(lines)


def method_markdown(evaluation: Mapping[str, Any]) -> str:
    """Method and limits in plain words."""
    level = int(round(100 * evaluation.get("confidence", 0.95)))
    design = (evaluation.get("design") or {}).get("isolation")
    lines = ["## Method and its limits", "",
             f"- Every range is a {level}% interval. Reaction items and score changes use t intervals; d_z uses the "
             "exact noncentral t interval; the Net Promoter Score, g_av, normalised gain, benefit and ROI use "
             f"{evaluation['plan']['bootstrap']} bootstrap resamples (seed {evaluation['plan']['seed']}). Benefit "
             "and ROI resample whole teams (or units), so that people who share a team are not counted as "
             "independent.",
             "- The benefit counts one period of each KPI after the programme: effect per trained unit x trained "
             "units x the plan's value per unit. Benefits that last longer, and costs not in the plan, are left out.",
             "- The conservative reading is the lower end of each range: a figure the data support even when chance "
             "ran in the programme's favour."]
    if design == COMPARISON:
        lines.append("- The comparison group stands in for what would have happened without the programme. That "
                     "holds if both groups were on the same path before; if the trained units were picked for "
                     "promise or trouble, the effect is biased.")
    elif design == ESTIMATES:
        lines.append("- Without a comparison group, the programme's part of each change rests on participants' "
                     "estimates, discounted by their confidence (Phillips). People tend to overrate what they "
                     "took part in; participants without an estimate count as no improvement, which keeps the "
                     "figure low.")
    elif design == UNISOLATED:
        lines.append("- Nothing isolates the programme: the before-after change includes everything else that "
                     "happened. Add a comparison group or participants' estimates.")
    lines.append("- The chain of evidence and the success cases show association, not cause.")
    return "\n".join(lines)


def evaluation_text(evaluation: Mapping[str, Any]) -> str:
    """The answer for a terminal."""
    a = evaluation["answer"]
    lines = [f"{evaluation['programme']}: {a['headline']}"]
    for key in ("worked", "how_sure", "worth"):
        lines += [f"  {s}" for s in a[key]]
    return "\n".join(lines)
