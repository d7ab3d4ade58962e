"""Presenting results: report blocks, figures, running notebooks to HTML and printing them to PDF."""
