"""Client results from a parameters file: the glue between the database and the client layer.

It opens the benchmark database, reads the wave's published table and the client's own row
(nothing else of the wave), and hands both to :mod:`maturity.published`.
"""
