"""One organisation against its peers: privacy rules, comparisons, advice and client results."""
