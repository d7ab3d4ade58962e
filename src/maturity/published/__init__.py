"""The client layer: everything a client sees, computed from a wave's published table only.

Client reports, results files, the client dashboard and the Quick Check are built here from
two inputs: the wave's published table (:mod:`maturity.benchmarking.publication`, read with
:mod:`maturity.data.publications`) and the client's own answers. Nothing in this package can
open a wave's organisation-level data: an import-linter contract forbids it (and anything it
imports) to reach the store, the population loader or the code that builds a publication.
"""
