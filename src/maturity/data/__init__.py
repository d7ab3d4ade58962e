"""Input and storage: survey files read and checked, the benchmark database, populations."""
