"""How much the demo's synthetic population looks like a real benchmark.

Generates the two waves ``maturity demo`` generates (same sizes and seeds) and prints, for
the analysed (later) wave:

1. achievers vs others: the top deck's and the others' share reporting an improvement and
   the ratio, per outcome group and item (goal: every ratio between 1.2 and 3);
2. the highest share reporting an improvement in any group of 20 or more organisations
   (top deck, others, maturity quartiles, segments; goal < 100%);
3. segments: the chosen k, silhouette, bootstrap stability and the adjusted Rand index
   against the generator's mixture components (overlap means neither is near 1);
4. demographic cells with fewer than 5 organisations;
5. blank answers: overall, the range over items, whole sections skipped, unscored organisations;
6. change between the waves: returning, new and leaving organisations and the change in the
   maturity index of the returning ones.

    python benchmarks/demo_population.py [--orgs 600] [--seed 2026]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

import maturity
from maturity.analysis.outcomes import group_improvement, improvement_flags
from maturity.analysis.segments import SegmentModel
from maturity.benchmarking.achievers import achievers_vs_others, maturity_quartiles
from maturity.data.synthetic import demo_waves

#: A group this large should never report an improvement unanimously.
LARGE_GROUP = 20


def largest_unanimity(flags: pd.DataFrame, groups: pd.Series) -> tuple[float, str]:
    """Highest share improving in any (group, outcome) with at least LARGE_GROUP answers."""
    best, where = 0.0, ""
    for label in groups.dropna().unique():
        members = flags[(groups == label).reindex(flags.index, fill_value=False).to_numpy()]
        for column in members:
            answered = members[column].dropna()
            if len(answered) >= LARGE_GROUP and answered.mean() > best:
                best, where = float(answered.mean()), f"{label} / {column} (n={len(answered)})"
    return best, where


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=600)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    earlier, later = demo_waves(args.orgs, seed=args.seed)
    fw = later.framework
    responses = later.responses.set_index(fw.id_column)
    scores = maturity.score_responses(responses, fw)
    ok = True

    print(f"== achievers vs others (wave 2, {len(responses)} organisations; goal: ratios 1.2-3)")
    table = achievers_vs_others(responses, scores, fw)
    for row in table.itertuples():
        indent = "  " if row.level == "item" else ""
        print(f"{indent}{row.name:<50} top deck {row.top_deck_share:5.1f}% (n={row.top_deck_n:3d})  "
              f"others {row.others_share:5.1f}% (n={row.others_n:3d})  ratio {row.ratio:.2f}")
    ratios = table["ratio"]
    in_range = bool(ratios.between(1.2, 3).all())
    ok &= in_range
    print(f"ratios {ratios.min():.2f}-{ratios.max():.2f} (groups "
          f"{ratios[table['level'] == 'group'].min():.2f}-{ratios[table['level'] == 'group'].max():.2f}) "
          f"{'OK' if in_range else 'MISSED'}")

    model = SegmentModel(strands=fw.strand_ids, random_state=args.seed, n_bootstrap=10).fit(scores)
    flags = pd.concat([group_improvement(responses, fw), improvement_flags(responses, fw)], axis=1)
    top = scores["index"] >= scores["index"].quantile(0.9)
    deck = pd.Series(np.where(top, "top deck", "others"), index=scores.index).where(scores["index"].notna())
    highest = max(
        largest_unanimity(flags, deck),
        largest_unanimity(flags, maturity_quartiles(scores).astype(object)),
        largest_unanimity(flags, model.labels_),
    )
    ok &= highest[0] < 1
    print(f"\n== highest share improving in a group of {LARGE_GROUP}+: {highest[0]:.0%} ({highest[1]}) "
          f"{'OK' if highest[0] < 1 else 'MISSED'}")

    truth = later.truth["stage"].reindex(model.labels_.dropna().index)
    ari = adjusted_rand_score(truth, model.labels_.dropna())
    print(f"\n== segments: k = {model.k_}, silhouette {model.silhouette_:.2f}, stability ARI "
          f"{model.stability_:.2f}, ARI against the mixture components {ari:.2f}")
    print("   silhouette by k: " + ", ".join(f"{k}: {s:.2f}" for k, s in model.selection_["silhouette"].items()))
    print("   sizes: " + ", ".join(f"{n} {int(c)}" for n, c in model.profiles_["n"].items()))

    print("\n== demographic cells")
    for demo in fw.demographics:
        counts = responses[demo.id].value_counts()
        small = counts[counts < 5]
        print(f"   {demo.id}: {len(counts)} values, largest {counts.max()}, smallest {counts.min()}; "
              f"under 5: {', '.join(f'{v} ({n})' for v, n in small.items()) or 'none'}")
    cross = responses.groupby(["sector", "size"]).size()
    print(f"   sector x size: {len(cross)} cells, {int((cross < 5).sum())} under 5")

    print("\n== blank answers")
    items = responses[fw.item_ids]
    rates = items.isna().mean()
    print(f"   strand items: {items.isna().to_numpy().mean():.1%} blank, per item {rates.min():.1%}-{rates.max():.1%}")
    outcome_ids = [i.id for i in fw.outcome_items]
    print(f"   outcome items: {responses[outcome_ids].isna().to_numpy().mean():.1%} blank; "
          f"whole outcome section skipped by {int(responses[outcome_ids].isna().all(axis=1).sum())}")
    print(f"   barrier section skipped by {int(responses[fw.barrier_ids].isna().all(axis=1).sum())}")
    skipped = sum(int(responses[[i.id for i in s.items]].isna().all(axis=1).sum()) for s in fw.strands)
    print(f"   whole strands skipped: {skipped}; organisations without an index: {int(scores['index'].isna().sum())}")

    print("\n== change between the waves")
    before = maturity.score_responses(earlier.responses, fw)["index"]
    back = before.index.intersection(scores.index)
    change = (scores["index"][back] - before[back]).dropna()
    print(f"   returning {len(back)}, new {len(scores.index.difference(before.index))}, "
          f"left {len(before.index.difference(scores.index))}")
    print(f"   index change of the returning: mean {change.mean():+.1f}, sd {change.std():.1f}; "
          f"up 5+ points {np.mean(change >= 5):.0%}, down 5+ points {np.mean(change <= -5):.0%}, "
          f"within 5 points {np.mean(change.abs() < 5):.0%}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
