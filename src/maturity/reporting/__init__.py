"""Presenting results: report blocks, figures, notebooks and printed reports."""
