"""``maturity demo``: the whole kit on a synthetic benchmark."""
