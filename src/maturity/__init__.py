"""maturity: a research and benchmarking kit for learning-and-development maturity.

The public entry points most users need::

    import maturity
    fw = maturity.load_framework()                 # the packaged six-strand framework
    bench = maturity.generate_benchmark(600)       # a synthetic benchmark population
    scores = maturity.score_responses(bench.responses, fw)
"""

from .data.synthetic import generate_benchmark
from .errors import MaturityError
from .framework import Framework, load_framework
from .scoring import score_outcomes, score_responses
from .version import __version__

__all__ = [
    "Framework",
    "MaturityError",
    "generate_benchmark",
    "load_framework",
    "score_outcomes",
    "score_responses",
    "__version__",
]
