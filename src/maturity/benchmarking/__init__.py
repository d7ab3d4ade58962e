"""Placing one organisation among its peers: peer statistics, privacy, advice, client
results and what they were made from."""
