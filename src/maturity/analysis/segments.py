"""Maturity segments: groups of organisations that emerge from their strand scores.

:class:`SegmentModel` is a scikit-learn style estimator. It standardises the strand scores
(z-scores with the fitted means and SDs), clusters them with k-means, a Gaussian mixture or
Ward's agglomerative method for every k of a range, and keeps the k with the best
silhouette (or, for mixtures, the lowest BIC). Segments are ordered by their mean maturity
index and named ("Starting", "Developing", "Embedding", "Leading" for four; see
:func:`default_segment_names`).

How the numbers are computed, and what is sampled for large populations:

silhouette
    ``sklearn.metrics.silhouette_score`` on the standardised scores, over all organisations
    up to ``silhouette_sample`` (default 3,000) and on a seeded random sample of that size
    above it.
stability
    Mean adjusted Rand index (ARI) over ``n_bootstrap`` bootstrap refits: each refit draws
    ``min(n, bootstrap_sample)`` organisations with replacement, fits the same algorithm
    with the same k, assigns a fixed seeded evaluation set of ``min(n, bootstrap_sample)``
    organisations, and compares those assignments with the full model's (ARI 1: the same
    partition; about 0: no better than chance). Reported per k in ``selection_``.
k-means
    ``KMeans`` (k-means++, ``n_init`` restarts: 10 up to 10,000 organisations, 3 above;
    the final labels are the nearest centroids, which is what ``predict`` gives);
    ``MiniBatchKMeans`` above ``minibatch_above`` organisations (default 200,000).
Gaussian mixture
    ``GaussianMixture`` with full covariances; BIC from sklearn (lower is better).
Ward
    ``scipy.cluster.hierarchy.linkage(method="ward")`` cut at each k. Its cost grows with the
    square of n, so above ``ward_max_n`` (default 5,000) the tree is built on a seeded
    sample and the other organisations join the segment with the nearest centroid.

Organisations with a missing strand score are left out of the fit and get no segment
(``None``) from :meth:`SegmentModel.predict`; everything else can be placed, including
organisations scored later (a new client), by the nearest centroid (k-means, Ward) or the
most probable mixture component.

Fitted models serialise to plain JSON (:meth:`SegmentModel.to_dict`,
:meth:`SegmentModel.from_dict`); nothing is pickled.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits  # installed with scikit-learn

from ..data.responses import barrier_flags
from ..errors import AnalysisError, ParametersError
from ..framework import INDEX_COLUMN, Framework
from ..values import float_or_none, json_safe

__all__ = [
    "ALGORITHMS",
    "SegmentModel",
    "default_segment_names",
    "segment_report",
    "barriers_by_segment",
    "parse_k_range",
    "segment_map",
    "segment_sentences",
    "ARTIFACT_KIND",
    "save_segments",
    "load_segments",
    "classify",
]

ALGORITHMS = ("kmeans", "gmm", "ward")
FORMAT = "maturity.segments/1"
#: Kind of the benchmark-store artifact that holds a wave's fitted segment model.
ARTIFACT_KIND = "segments"

_NAMES = {
    1: ("All",),
    2: ("Starting", "Leading"),
    3: ("Starting", "Developing", "Leading"),
    4: ("Starting", "Developing", "Embedding", "Leading"),
    5: ("Starting", "Developing", "Embedding", "Advancing", "Leading"),
    6: ("Starting", "Emerging", "Developing", "Embedding", "Advancing", "Leading"),
    7: ("Starting", "Emerging", "Developing", "Embedding", "Established", "Advancing", "Leading"),
    8: ("Starting", "Emerging", "Developing", "Progressing", "Embedding", "Established", "Advancing", "Leading"),
}


def default_segment_names(k: int) -> list[str]:
    """Names of k segments, least mature first.

    Four segments are Starting, Developing, Embedding, Leading; two to eight use the same
    vocabulary (Starting ... Leading); more are "Segment 1" ... "Segment k".
    """
    if k < 1:
        raise ParametersError(f"the number of segments must be at least 1, got {k}")
    return list(_NAMES.get(k, [f"Segment {i}" for i in range(1, k + 1)]))


def parse_k_range(text: str) -> tuple[int, int]:
    """Parse ``"2-8"`` into ``(2, 8)`` (ParametersError when malformed)."""
    try:
        lo, hi = (int(part) for part in str(text).split("-", 1))
    except ValueError:
        raise ParametersError(f"a k range looks like 2-8, got '{text}'") from None
    if lo < 2 or hi < lo:
        raise ParametersError(f"a k range needs 2 <= low <= high, got '{text}'")
    return lo, hi


class SegmentModel(ClusterMixin, BaseEstimator):
    """Segment organisations by their strand scores.

    Parameters
    ----------
    algorithm : {"kmeans", "gmm", "ward"}
    k : int, optional
        A fixed number of segments; default: chosen over ``k_range``.
    k_range : (int, int)
        Smallest and largest k tried (inclusive).
    names : sequence of str, optional
        Segment names, least mature first; must have k entries. Default
        :func:`default_segment_names`.
    n_bootstrap : int
        Bootstrap refits per k for the stability estimate (0 skips it).
    random_state : int
        Seed of every random step (initialisation, samples, resamples).
    strands : sequence of str, optional
        Score columns to cluster; default every numeric column except ``index``.
    criterion : {"auto", "silhouette", "bic"}
        How k is chosen: ``auto`` is BIC for ``gmm`` and the silhouette otherwise.
    silhouette_sample, bootstrap_sample, ward_max_n, minibatch_above : int
        Sizes above which the silhouette, the bootstrap refits, Ward's tree and k-means
        work on samples or mini-batches (see the module docstring).
    n_init : int, optional
        Restarts of k-means and mixtures; default for k-means 10 up to 10,000 organisations
        and 3 above, for mixtures 1 (EM from a k-means start).

    Attributes
    ----------
    k_ : int
    segment_names_ : list of str
        Least mature first.
    labels_ : Series
        Segment name of every row given to ``fit`` (None where a strand score is missing).
    selection_ : DataFrame
        Indexed by k: ``silhouette``, ``stability_ari``, ``stability_sd``, ``bic`` (mixtures)
        and ``chosen``.
    silhouette_, stability_ : float
        Of the chosen k.
    centers_ : DataFrame
        Segment centroids on the original score scale (segments x strands).
    profiles_ : DataFrame
        Per segment: ``n``, ``share``, strand means, ``index`` and outcome means.
    composition_ : dict
        Attribute (e.g. ``sector``) -> DataFrame of shares (segments x values).
    feature_names_in_ : list of str
    mean_, scale_ : ndarray
        Standardisation.

    Examples
    --------
    >>> import maturity
    >>> from maturity.analysis.segments import SegmentModel
    >>> bench = maturity.generate_benchmark(600)
    >>> scores = maturity.score_responses(bench.responses, bench.framework)
    >>> model = SegmentModel(strands=bench.framework.strand_ids, n_bootstrap=5).fit(scores)
    >>> model.k_, model.segment_names_
    (4, ['Starting', 'Developing', 'Embedding', 'Leading'])
    >>> model.predict(scores.head(2)).tolist()
    ['Embedding', 'Starting']
    """

    def __init__(
        self,
        algorithm: str = "kmeans",
        k: int | None = None,
        k_range: tuple[int, int] = (2, 8),
        names: Sequence[str] | None = None,
        n_bootstrap: int = 20,
        random_state: int = 0,
        strands: Sequence[str] | None = None,
        criterion: str = "auto",
        silhouette_sample: int = 3000,
        bootstrap_sample: int = 3000,
        ward_max_n: int = 5000,
        minibatch_above: int = 200_000,
        n_init: int | None = None,
    ) -> None:
        self.algorithm = algorithm
        self.k = k
        self.k_range = k_range
        self.names = names
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state
        self.strands = strands
        self.criterion = criterion
        self.silhouette_sample = silhouette_sample
        self.bootstrap_sample = bootstrap_sample
        self.ward_max_n = ward_max_n
        self.minibatch_above = minibatch_above
        self.n_init = n_init

    # --- fitting -----------------------------------------------------------------------------

    def fit(
        self,
        scores: pd.DataFrame,
        y: Any = None,
        *,
        outcomes: pd.DataFrame | None = None,
        attributes: pd.DataFrame | None = None,
    ) -> "SegmentModel":
        """Choose k, fit the segments and profile them.

        Parameters
        ----------
        scores : DataFrame
            Strand scores (one row per organisation); an ``index`` column, when present,
            orders the segments (otherwise the mean of the strand scores does).
        y : ignored
        outcomes : DataFrame, optional
            Outcome scores or rates per organisation (same index) for the profiles.
        attributes : DataFrame, optional
            Categorical attributes (e.g. sector, size) for the composition of each segment.

        Returns
        -------
        self
        """
        self._check_params()
        features = self._feature_names(scores)
        values = scores[features].to_numpy(dtype=float, na_value=np.nan)
        complete = ~np.isnan(values).any(axis=1)
        x = values[complete]
        n = len(x)
        ks = [self.k] if self.k is not None else list(range(self.k_range[0], self.k_range[1] + 1))
        ks = [k for k in ks if k < n]
        if n < 3 or not ks:
            raise AnalysisError(f"segmentation needs more organisations with every strand score than segments; only {n} have them")
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        if (scale <= 0).any():
            flat = [f for f, s in zip(features, scale) if s <= 0]
            raise AnalysisError(f"strand score(s) without variation cannot be segmented: {', '.join(flat)}")
        z = (x - mean) / scale
        seeds = np.random.SeedSequence(self.random_state)
        fit_seed, sil_seed, boot_seed = (int(s.generate_state(1)[0]) for s in seeds.spawn(3))

        # Single-threaded BLAS/OpenMP: measured on a shared 2-core machine, threads made the
        # 100,000-organisation run 1-10x slower (spinning under contention), never faster.
        with threadpool_limits(1):
            fits = self._fit_all(z, ks, fit_seed)
            stability = self._stability(z, ks, fits, boot_seed)
        rows = []
        for k in ks:
            labels = fits[k]["labels"]
            sil = self._silhouette(z, labels, sil_seed)
            rows.append({"k": k, "silhouette": sil, "bic": fits[k].get("bic", np.nan)})
        selection = pd.DataFrame(rows).set_index("k")
        selection["stability_ari"] = [stability[k][0] for k in ks]
        selection["stability_sd"] = [stability[k][1] for k in ks]
        chosen = self._choose(selection)
        selection["chosen"] = selection.index == chosen
        self.selection_ = selection[["silhouette", "stability_ari", "stability_sd", "bic", "chosen"]]

        # Order segments by mean maturity index (least mature first) and name them.
        best = fits[chosen]
        order_values = (
            scores[INDEX_COLUMN].to_numpy(dtype=float, na_value=np.nan)[complete]
            if INDEX_COLUMN in scores.columns else x.mean(axis=1)
        )
        raw = best["labels"]
        means = np.array([np.nanmean(order_values[raw == j]) if (raw == j).any() else np.inf for j in range(chosen)])
        order = np.argsort(means, kind="stable")
        relabel = np.empty(chosen, dtype=int)
        relabel[order] = np.arange(chosen)
        self.k_ = chosen
        self.segment_names_ = self._names_for(chosen)
        self.feature_names_in_ = list(features)
        self.n_features_in_ = len(features)
        self.mean_, self.scale_ = mean, scale
        self.centers_z_ = best["centers"][order]
        if self.algorithm == "gmm":
            self.weights_ = best["weights"][order]
            self.covariances_ = best["covariances"][order]
        codes = relabel[raw]
        labels = pd.Series([None] * len(scores), index=scores.index, dtype=object)
        labels[complete] = np.asarray(self.segment_names_, dtype=object)[codes]
        self.labels_ = labels
        self.silhouette_ = float(selection.loc[chosen, "silhouette"])
        self.stability_ = float(selection.loc[chosen, "stability_ari"])
        self.n_fitted_ = int(n)
        self._profile(scores, outcomes, attributes)
        return self

    def _check_params(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ParametersError(f"algorithm must be one of {', '.join(ALGORITHMS)}, got '{self.algorithm}'")
        if self.k is not None and (not isinstance(self.k, (int, np.integer)) or self.k < 2):
            raise ParametersError(f"k must be a whole number of at least 2, got {self.k!r}")
        lo, hi = self.k_range
        if lo < 2 or hi < lo:
            raise ParametersError(f"k_range needs 2 <= low <= high, got {self.k_range}")
        if self.criterion not in ("auto", "silhouette", "bic"):
            raise ParametersError(f"criterion must be auto, silhouette or bic, got '{self.criterion}'")
        if self.criterion == "bic" and self.algorithm != "gmm":
            raise ParametersError("BIC selection needs the Gaussian mixture (algorithm='gmm')")
        if self.n_bootstrap < 0:
            raise ParametersError(f"n_bootstrap must be 0 or more, got {self.n_bootstrap}")

    def _feature_names(self, scores: pd.DataFrame) -> list[str]:
        if self.strands is not None:
            missing = [s for s in self.strands if s not in scores.columns]
            if missing:
                raise AnalysisError(f"the scores lack strand column(s): {', '.join(missing)}")
            return list(self.strands)
        cols = [c for c in scores.columns if c != INDEX_COLUMN and pd.api.types.is_numeric_dtype(scores[c])]
        if not cols:
            raise AnalysisError("the scores have no numeric strand columns to segment")
        return cols

    def _names_for(self, k: int) -> list[str]:
        if self.names is None:
            return default_segment_names(k)
        names = [str(n) for n in self.names]
        if len(names) != k or len(set(names)) != k:
            raise ParametersError(f"{k} distinct segment names are needed, got {len(names)}: {', '.join(names)}")
        return names

    def _choose(self, selection: pd.DataFrame) -> int:
        if len(selection) == 1:
            return int(selection.index[0])
        criterion = self.criterion
        if criterion == "auto":
            criterion = "bic" if self.algorithm == "gmm" else "silhouette"
        column = selection[criterion]
        if column.isna().all():
            raise AnalysisError("no candidate k could be scored; try a smaller k range")
        # ties go to the smaller k (idxmax/idxmin return the first)
        return int(column.idxmin() if criterion == "bic" else column.idxmax())

    def _n_init(self, n: int) -> int:
        if self.n_init is not None:
            return int(self.n_init)
        if self.algorithm == "gmm":
            return 1  # sklearn's default; EM starts from a k-means solution
        return 10 if n <= 10_000 else 3

    # --- the three algorithms, fitted for every k ------------------------------------------

    def _fit_all(self, z: np.ndarray, ks: list[int], seed: int) -> dict[int, dict[str, Any]]:
        if self.algorithm == "ward":
            return self._fit_ward(z, ks, seed)
        out = {}
        for k in ks:
            out[k] = self._fit_one(z, k, seed + k)
        return out

    def _fit_one(self, z: np.ndarray, k: int, seed: int) -> dict[str, Any]:
        n = len(z)
        if self.algorithm == "kmeans":
            if n > self.minibatch_above:
                model = MiniBatchKMeans(n_clusters=k, n_init=self._n_init(n), random_state=seed, batch_size=4096)
            else:
                model = KMeans(n_clusters=k, n_init=self._n_init(n), random_state=seed)
            model.fit(z)
            centers = model.cluster_centers_
            return {"labels": _nearest(z, centers), "centers": centers}
        model = GaussianMixture(n_components=k, covariance_type="full", n_init=self._n_init(n), random_state=seed)
        model.fit(z)
        return {
            "labels": model.predict(z), "centers": model.means_, "weights": model.weights_,
            "covariances": model.covariances_, "bic": float(model.bic(z)),
        }

    def _fit_ward(self, z: np.ndarray, ks: list[int], seed: int) -> dict[int, dict[str, Any]]:
        n = len(z)
        rng = np.random.default_rng(seed)
        sample = np.sort(rng.choice(n, self.ward_max_n, replace=False)) if n > self.ward_max_n else np.arange(n)
        tree = linkage(z[sample], method="ward")
        out = {}
        for k in ks:
            cut = fcluster(tree, t=k, criterion="maxclust") - 1
            k_found = int(cut.max()) + 1
            centers = np.array([z[sample][cut == j].mean(axis=0) for j in range(k_found)])
            if n > len(sample):
                labels = _nearest(z, centers)
                labels[sample] = cut
            else:
                labels = cut
            if k_found < k:  # ties in the tree can give fewer clusters than asked
                centers = np.vstack([centers, np.full((k - k_found, z.shape[1]), np.inf)])
            out[k] = {"labels": labels, "centers": centers}
        return out

    def _assign(self, z: np.ndarray, fitted: dict[str, Any]) -> np.ndarray:
        if self.algorithm == "gmm":
            return _gmm_predict(z, fitted["weights"], fitted["centers"], fitted["covariances"])
        return _nearest(z, fitted["centers"])

    # --- selection statistics ----------------------------------------------------------------

    def _silhouette(self, z: np.ndarray, labels: np.ndarray, seed: int) -> float:
        if len(np.unique(labels)) < 2:
            return float("nan")
        if len(z) > self.silhouette_sample:
            return float(silhouette_score(z, labels, sample_size=self.silhouette_sample, random_state=seed))
        return float(silhouette_score(z, labels))

    def _stability(self, z: np.ndarray, ks: list[int], fits: dict, seed: int) -> dict[int, tuple[float, float]]:
        if self.n_bootstrap == 0:
            return {k: (float("nan"), float("nan")) for k in ks}
        n = len(z)
        rng = np.random.default_rng(seed)
        m = min(n, self.bootstrap_sample)
        evaluation = rng.choice(n, m, replace=False) if m < n else np.arange(n)
        reference = {k: fits[k]["labels"][evaluation] for k in ks}
        scores: dict[int, list[float]] = {k: [] for k in ks}
        for b in range(self.n_bootstrap):
            draw = rng.integers(0, n, m)
            refits = self._fit_all(z[draw], ks, seed + 1000 * (b + 1))
            for k in ks:
                predicted = self._assign(z[evaluation], refits[k])
                scores[k].append(adjusted_rand_score(reference[k], predicted))
        return {k: (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else float("nan")) for k, v in scores.items()}

    # --- prediction --------------------------------------------------------------------------

    def predict(self, scores: pd.DataFrame) -> pd.Series:
        """Segment name of each organisation (None where a strand score is missing).

        Parameters
        ----------
        scores : DataFrame
            The strand columns the model was fitted on (other columns are ignored).

        Returns
        -------
        Series
            Indexed like ``scores``.
        """
        self._check_fitted()
        missing = [f for f in self.feature_names_in_ if f not in scores.columns]
        if missing:
            raise AnalysisError(f"the scores lack strand column(s) the segments were built on: {', '.join(missing)}")
        values = scores[self.feature_names_in_].to_numpy(dtype=float, na_value=np.nan)
        complete = ~np.isnan(values).any(axis=1)
        out = pd.Series([None] * len(scores), index=scores.index, dtype=object)
        if complete.any():
            z = (values[complete] - self.mean_) / self.scale_
            if self.algorithm == "gmm":
                codes = _gmm_predict(z, self.weights_, self.centers_z_, self.covariances_)
            else:
                codes = _nearest(z, self.centers_z_)
            out[complete] = np.asarray(self.segment_names_, dtype=object)[codes]
        return out

    def fit_predict(self, scores: pd.DataFrame, y: Any = None, **kwargs: Any) -> pd.Series:
        """Fit and return ``labels_``."""
        return self.fit(scores, **kwargs).labels_

    def _check_fitted(self) -> None:
        if not hasattr(self, "k_"):
            raise AnalysisError("the segment model is not fitted yet; call fit() first")

    @property
    def centers_(self) -> pd.DataFrame:
        """Segment centroids on the original score scale (segments x strands)."""
        self._check_fitted()
        return pd.DataFrame(self.centers_z_ * self.scale_ + self.mean_, index=self.segment_names_,
                            columns=self.feature_names_in_)

    # --- profiles ----------------------------------------------------------------------------

    def _profile(self, scores: pd.DataFrame, outcomes: pd.DataFrame | None, attributes: pd.DataFrame | None) -> None:
        labels = self.labels_
        names = self.segment_names_
        placed = labels.notna()
        frame = scores.loc[placed, self.feature_names_in_].copy()
        if INDEX_COLUMN in scores.columns:
            frame[INDEX_COLUMN] = scores.loc[placed, INDEX_COLUMN]
        if outcomes is not None and len(outcomes.columns):
            numeric = outcomes.select_dtypes("number")
            frame = frame.join(numeric.add_prefix("outcome:"), how="left")
        group = frame.groupby(labels[placed])
        profiles = group.mean().reindex(names)
        counts = labels[placed].value_counts().reindex(names).fillna(0).astype(int)
        profiles.insert(0, "share", counts / max(int(counts.sum()), 1))
        profiles.insert(0, "n", counts)
        profiles.index.name = "segment"
        self.profiles_ = profiles
        composition = {}
        if attributes is not None:
            for col in attributes.columns:
                values = attributes[col].reindex(labels.index)[placed]
                table = pd.crosstab(labels[placed], values, normalize="index").reindex(names).fillna(0.0)
                table.index.name = "segment"
                composition[str(col)] = table
        self.composition_ = composition

    def profile_table(self, framework: Framework | None = None) -> pd.DataFrame:
        """``profiles_`` for display: readable column names, shares and outcome rates in
        percent, scores to one decimal. Outcome columns whose segment means all lie in 0-1
        are read as rates (e.g. :func:`maturity.analysis.outcomes.group_improvement`), others as scores.

        Parameters
        ----------
        framework : Framework, optional
            Supplies strand and outcome-group names.
        """
        self._check_fitted()
        strands = framework.strand_names() if framework is not None else {}
        groups = {g.id: g.name for g in framework.outcomes} if framework is not None else {}
        prof = self.profiles_
        out = pd.DataFrame(index=prof.index)
        out["Organisations"] = prof["n"].astype(int)
        out["Share (%)"] = (prof["share"] * 100).round(0)
        for col in prof.columns:
            if col in ("n", "share"):
                continue
            if col.startswith("outcome:"):
                gid = col.split(":", 1)[1]
                values = prof[col]
                is_rate = bool(values.dropna().between(0, 1).all())
                label = f"{groups.get(gid, gid)} ({'% improved' if is_rate else 'score'})"
                out[label] = (values * 100).round(0) if is_rate else values.round(1)
            else:
                out["Maturity index" if col == INDEX_COLUMN else strands.get(col, col)] = prof[col].round(1)
        return out

    # --- serialisation -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The fitted model as JSON-safe data (no pickle); :meth:`from_dict` restores it."""
        self._check_fitted()
        params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.get_params().items()}
        if params.get("names") is not None:
            params["names"] = list(params["names"])
        if params.get("strands") is not None:
            params["strands"] = list(params["strands"])
        data: dict[str, Any] = {
            "format": FORMAT,
            "params": params,
            "algorithm": self.algorithm,
            "k": int(self.k_),
            "segment_names": list(self.segment_names_),
            "features": list(self.feature_names_in_),
            "mean": self.mean_.tolist(),
            "scale": self.scale_.tolist(),
            "centers_z": self.centers_z_.tolist(),
            "silhouette": self.silhouette_,
            "stability_ari": self.stability_,
            "n_fitted": self.n_fitted_,
            "selection": _records(self.selection_.reset_index()),
            "profiles": _records(self.profiles_.reset_index()),
            "composition": {
                attr: {"values": [str(c) for c in table.columns], "shares": table.to_numpy().tolist()}
                for attr, table in self.composition_.items()
            },
            "assignments": {str(i): v for i, v in self.labels_.items() if v is not None},
        }
        if self.algorithm == "gmm":
            data["weights"] = self.weights_.tolist()
            data["covariances"] = self.covariances_.tolist()
        return json_safe(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "SegmentModel":
        """Rebuild a fitted model from :meth:`to_dict` output."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise AnalysisError(f"not a saved segment model (expected format '{FORMAT}')")
        try:
            params = dict(data["params"])
            if params.get("k_range") is not None:
                params["k_range"] = tuple(params["k_range"])
            model = cls(**params)
            model.k_ = int(data["k"])
            model.segment_names_ = list(data["segment_names"])
            model.feature_names_in_ = list(data["features"])
            model.n_features_in_ = len(model.feature_names_in_)
            model.mean_ = np.asarray(data["mean"], dtype=float)
            model.scale_ = np.asarray(data["scale"], dtype=float)
            model.centers_z_ = np.asarray(data["centers_z"], dtype=float)
            if model.algorithm == "gmm":
                model.weights_ = np.asarray(data["weights"], dtype=float)
                model.covariances_ = np.asarray(data["covariances"], dtype=float)
            model.silhouette_ = float_or_none(data.get("silhouette"))
            model.stability_ = float_or_none(data.get("stability_ari"))
            model.n_fitted_ = int(data.get("n_fitted", 0))
            model.selection_ = pd.DataFrame(data["selection"]).set_index("k").astype(
                {"silhouette": float, "stability_ari": float, "stability_sd": float, "bic": float, "chosen": bool}
            )
            model.profiles_ = pd.DataFrame(data["profiles"]).set_index("segment").astype(float)
            model.profiles_["n"] = model.profiles_["n"].astype(int)
            model.composition_ = {
                attr: pd.DataFrame(t["shares"], index=pd.Index(model.segment_names_, name="segment"),
                                   columns=t["values"], dtype=float)
                for attr, t in data.get("composition", {}).items()
            }
            assignments = data.get("assignments", {})
            model.labels_ = pd.Series(assignments, dtype=object)
        except (KeyError, TypeError, ValueError) as exc:
            raise AnalysisError(f"the saved segment model is incomplete or damaged: {exc}") from None
        if model.centers_z_.shape != (model.k_, model.n_features_in_):
            raise AnalysisError("the saved segment model is inconsistent (centre matrix shape)")
        return model

    def summary(self) -> dict[str, Any]:
        """The ``maturity segment --format json`` document."""
        self._check_fitted()
        centers = self.profiles_
        segments = [
            {
                "name": name,
                "n": int(centers.loc[name, "n"]),
                "strand_means": {f: float_or_none(centers.loc[name, f]) for f in self.feature_names_in_},
            }
            for name in self.segment_names_
        ]
        return json_safe({
            "k": int(self.k_),
            "algorithm": self.algorithm,
            "silhouette": self.silhouette_,
            "stability_ari": self.stability_,
            "segments": segments,
            "assignments": {str(i): v for i, v in self.labels_.items() if v is not None},
        })


# --- helpers ---------------------------------------------------------------------------------


def classify(scores: np.ndarray, classifier: Mapping[str, Any]) -> np.ndarray:
    """Segment names of rows of strand scores, from a model's published classifier.

    ``classifier`` holds what placing needs and nothing about members: ``algorithm``,
    ``segment_names``, ``mean``, ``scale``, ``centers_z`` (and ``weights``,
    ``covariances`` for a mixture), as :meth:`SegmentModel.to_dict` writes them. Rows with a
    missing score get None.
    """
    values = np.atleast_2d(np.asarray(scores, dtype=float))
    out = np.full(len(values), None, dtype=object)
    complete = ~np.isnan(values).any(axis=1)
    if complete.any():
        z = (values[complete] - np.asarray(classifier["mean"], dtype=float)) / np.asarray(classifier["scale"], dtype=float)
        centers = np.asarray(classifier["centers_z"], dtype=float)
        if classifier.get("algorithm") == "gmm":
            codes = _gmm_predict(z, np.asarray(classifier["weights"], dtype=float), centers,
                                 np.asarray(classifier["covariances"], dtype=float))
        else:
            codes = _nearest(z, centers)
        out[complete] = np.asarray(classifier["segment_names"], dtype=object)[codes]
    return out


def _nearest(z: np.ndarray, centers: np.ndarray) -> np.ndarray:
    # squared distances without an (n, k, d) intermediate
    finite = np.where(np.isfinite(centers), centers, 0.0)
    d = (z**2).sum(axis=1)[:, None] - 2.0 * z @ finite.T + (finite**2).sum(axis=1)[None, :]
    d[:, ~np.isfinite(centers).all(axis=1)] = np.inf
    return d.argmin(axis=1)


def _gmm_predict(z: np.ndarray, weights: np.ndarray, means: np.ndarray, covariances: np.ndarray) -> np.ndarray:
    """Most probable component: argmax of log w_k + log N(z | mu_k, Sigma_k)."""
    log_prob = np.empty((len(z), len(weights)))
    for j, (w, mu, cov) in enumerate(zip(weights, means, covariances)):
        chol = np.linalg.cholesky(cov)
        solved = np.linalg.solve(chol, (z - mu).T)
        log_det = 2.0 * np.log(np.diag(chol)).sum()
        log_prob[:, j] = np.log(w) - 0.5 * (log_det + (solved**2).sum(axis=0) + z.shape[1] * math.log(2 * math.pi))
    return log_prob.argmax(axis=1)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [json_safe(row) for row in frame.to_dict(orient="records")]


# --- reports built on a fitted model ----------------------------------------------------------


def segment_report(model: SegmentModel) -> dict[str, Any]:
    """Alias of :meth:`SegmentModel.summary` (the JSON document of the command line)."""
    return model.summary()


def barriers_by_segment(
    responses: pd.DataFrame, framework: Framework, segments: pd.Series, order: Sequence[str] | None = None
) -> pd.DataFrame:
    """Share of organisations in each segment that report each barrier.

    Parameters
    ----------
    responses : DataFrame
        Response table indexed by respondent id, with the barrier columns (1/0, yes/no,
        true/false; blank = missing, left out of that barrier's share).
    framework : Framework
    segments : Series
        Segment name per respondent id (e.g. ``SegmentModel.labels_``); missing = no segment.
    order : sequence of str, optional
        Row order (e.g. ``SegmentModel.segment_names_``); default order of first appearance.

    Returns
    -------
    DataFrame
        Segments x barrier names, shares 0-1; empty when the framework has no barriers.
    """
    flags = barrier_flags(responses, framework)
    if flags.empty and not len(flags.columns):
        return pd.DataFrame()
    flags = flags.rename(columns={b.id: b.name for b in framework.barriers})
    placed = segments.dropna()
    order = list(order) if order is not None else list(dict.fromkeys(placed))
    table = flags.loc[flags.index.intersection(placed.index)].groupby(placed).mean()
    return table.reindex([o for o in order if o in table.index])


def segment_map(
    scores: pd.DataFrame,
    labels: pd.Series,
    strands: Sequence[str],
    *,
    sample: int | None = 5000,
    random_state: int = 0,
) -> pd.DataFrame:
    """Coordinates of organisations on the first two principal components of their
    standardised strand scores, for a 2-D map coloured by segment.

    Parameters
    ----------
    scores : DataFrame
        Strand scores.
    labels : Series
        Segment per organisation (same index); organisations without one are left out.
    strands : sequence of str
        Score columns.
    sample : int, optional
        At most this many organisations (a seeded random sample) are returned, so that a
        map of a very large benchmark stays readable; None returns all.
    random_state : int

    Returns
    -------
    DataFrame
        ``pc1``, ``pc2``, ``segment``; ``attrs["explained"]`` holds the share of variance
        each component explains.
    """
    from sklearn.decomposition import PCA

    frame = scores[list(strands)].join(labels.rename("segment"), how="inner").dropna()
    if len(frame) < 3:
        raise AnalysisError("a segment map needs at least three organisations with every strand score")
    x = frame[list(strands)].to_numpy(dtype=float)
    sd = x.std(axis=0)
    z = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    pca = PCA(n_components=min(2, z.shape[1]), random_state=random_state).fit(z)
    coords = pca.transform(z)
    if coords.shape[1] == 1:
        coords = np.column_stack([coords, np.zeros(len(coords))])
    out = pd.DataFrame({"pc1": coords[:, 0], "pc2": coords[:, 1], "segment": frame["segment"].to_numpy()},
                       index=frame.index)
    if sample is not None and len(out) > sample:
        out = out.sample(sample, random_state=random_state)
    out.attrs["explained"] = [float(v) for v in pca.explained_variance_ratio_]
    return out


def segment_sentences(model: SegmentModel, framework: Framework | None = None) -> list[str]:
    """Plain sentences describing a fitted segmentation."""
    model._check_fitted()
    names = framework.strand_names() if framework is not None else {}
    sel = model.selection_
    span = f"k = {sel.index.min()}-{sel.index.max()}"
    if len(sel) == 1:
        reason = f"that number was fixed (silhouette {model.silhouette_:.2f})"
    elif model.algorithm == "gmm" and model.criterion in ("auto", "bic"):
        reason = f"it has the lowest BIC over {span} (silhouette {model.silhouette_:.2f})"
    else:
        reason = f"it separates the organisations most clearly (silhouette {model.silhouette_:.2f}, the highest over {span})"
    out = [f"The organisations fall into {model.k_} segments; {model.k_} was chosen because {reason}."]
    if model.stability_ == model.stability_:
        word = "very stable" if model.stability_ >= 0.9 else "stable" if model.stability_ >= 0.75 else "not stable"
        out.append(f"Refitted on bootstrap resamples the segments are {word} (mean adjusted Rand index "
                   f"{model.stability_:.2f}; 1 means identical).")
    prof = model.profiles_
    parts = [f"{seg} {int(prof.loc[seg, 'n']):,} ({prof.loc[seg, 'share']:.0%})" for seg in model.segment_names_]
    out.append("Sizes, least to most mature: " + ", ".join(parts) + ".")
    centers = model.centers_
    if len(model.segment_names_) >= 2:
        first, last = model.segment_names_[0], model.segment_names_[-1]
        gap = (centers.loc[last] - centers.loc[first]).sort_values(ascending=False)
        out.append(f"The widest gap between {first} and {last} organisations is in "
                   f"{names.get(gap.index[0], gap.index[0])} ({gap.iloc[0]:.0f} points), the narrowest in "
                   f"{names.get(gap.index[-1], gap.index[-1])} ({gap.iloc[-1]:.0f}).")
    return out


def save_segments(store: Any, wave: str | None, model: SegmentModel) -> str:
    """Save a fitted model with its wave in a benchmark store (JSON artifact ``segments``).

    Parameters
    ----------
    store : maturity.data.store.BenchmarkStore
        Open for writing.
    wave : str, optional
        Wave label (None: the latest).
    model : SegmentModel
        Fitted.

    Returns
    -------
    str
        The wave label it was saved under.
    """
    label = store.resolve_wave(wave)
    store.save_artifact(label, ARTIFACT_KIND, model.to_dict())
    return label


def load_segments(store: Any, wave: str | None = None) -> SegmentModel | None:
    """The segment model saved with a wave, or None when the wave has none."""
    payload = store.load_artifact(store.resolve_wave(wave), ARTIFACT_KIND)
    return None if payload is None else SegmentModel.from_dict(payload)
