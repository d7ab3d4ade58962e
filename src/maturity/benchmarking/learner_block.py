"""The "What your learners say" block of a client's results, composed from published figures.

:func:`compose_learner_voice` is pure: the client's own learner figures and its peer group's
(both as :func:`maturity.benchmarking.learner_voice.learner_figures` makes them, the group's
read from the wave's published table) in, the JSON-safe block out. It opens nothing, so the
client layer may use it.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..values import json_safe

__all__ = ["BLOCK_TITLE", "compose_learner_voice", "withheld_block"]

BLOCK_TITLE = "What your learners say"


def withheld_block(reason: str, **extra: Any) -> dict[str, Any]:
    """The block when learner figures are withheld, with the reason."""
    return json_safe({"title": BLOCK_TITLE, "shown": False, "reason": reason, **extra})



def compose_learner_voice(own: Mapping[str, Any], peers: Mapping[str, Any], *, min_learners: int,
                          min_group_size: int, peer_label: str = "your peer group") -> dict[str, Any]:
    """The client block from the client's own figures and its peer group's figures (both
    :func:`learner_figures`): the step a report takes at read time, e.g. from a published
    table holding the peer group's figures."""
    base = {"min_learners": min_learners, "min_group_size": min_group_size}
    n_own = int(own.get("n_learners") or 0)
    if not own.get("shown"):
        return withheld_block(f"fewer than {min_learners} of your staff answered the learners' survey; learner figures "
                         f"need at least {min_learners}", n_learners=n_own, **base)
    if not peers.get("shown"):
        return withheld_block(f"fewer than {min_group_size} organisations of {peer_label} have at least {min_learners} "
                         "learners answering", n_learners=n_own, **base)

    def pair(section: str, key: str, extra: tuple[str, ...]) -> dict[str, Any]:
        mine, theirs = own[section][key], peers[section].get(key, {})
        return {"id": key, **{e: mine.get(e) for e in extra}, "own": mine["mean"], "own_n": mine["n"],
                "peers": theirs.get("mean"), "peers_n": theirs.get("n", 0),
                "peers_organisations": theirs.get("organisations", 0)}

    items = []
    for key, mine in own["items"].items():
        row = pair("items", key, ("text", "mirrors"))
        row["own_favourable"], row["peers_favourable"] = mine["favourable"], peers["items"].get(key, {}).get("favourable")
        items.append(row)
    choices = []
    for key, mine in own["choices"].items():
        theirs = peers["choices"].get(key, {"n": None, "shares": {}})
        choices.append({"id": key, "question": mine["question"], "own_n": mine["n"],
                        "peers_n": theirs["n"] if any(v is not None for v in theirs["shares"].values()) else None,
                        "values": [{"value": v, "own_share": mine["shares"][v], "peers_share": theirs["shares"].get(v)}
                                   for v in mine["values"]]})
    return json_safe({
        "title": BLOCK_TITLE, "shown": True, "reason": None, "n_learners": n_own, **base,
        "peers": {"label": peer_label, "n_organisations": peers["n_organisations"], "n_learners": peers["n_learners"]},
        "scales": [pair("scales", key, ("name",)) for key in own["scales"]],
        "items": items,
        "barriers": [pair("barriers", key, ("name",)) for key in own["barriers"]],
        "choices": choices,
    })
