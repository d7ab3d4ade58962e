"""Research analytics on a scored population: reliability, CFA, segments, drivers, summaries."""
