"""Presenting results: report blocks, figures, and running notebooks to HTML."""
