"""Drift tests from scratch: PSI, Kolmogorov–Smirnov, chi-squared, and embedding drift with a permutation test.

Taught in the MLOps chapter (book/mlops.md); the tests check each one
against ``scipy.stats``. Each compares a *reference* sample (what the model
was trained on) with a *current* window (what it sees now):

* :func:`psi`, the population stability index of a numeric feature:
  bins from the reference's quantiles, then
  ``sum((a - e) * ln(a / e))`` over the bins' shares ``e`` (reference) and
  ``a`` (current); no p-value, rules of thumb instead;
* :func:`ks_2samp`, the largest gap between the two empirical CDFs, with
  the asymptotic Kolmogorov p-value (:func:`kolmogorov_sf`);
* :func:`chi2_test`, a chi-squared test of homogeneity on category counts
  (predicted labels);
* :func:`mean_embedding_distance` and :func:`mmd2_rbf` between two sets of
  sentence embeddings, with :func:`permutation_test` for a p-value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PSI_EPS = 1e-4  # the share given to an empty bin (ln(0) is not a number)


@dataclass(frozen=True)
class TestResult:
    """A statistic and its p-value (NaN for PSI, which has none)."""

    statistic: float
    p_value: float


def _sample(x, what: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64).ravel()
    if x.size == 0:
        raise ValueError(f"the {what} sample is empty")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"the {what} sample holds NaN or infinite values")
    return x


def quantile_positions(bins: int) -> np.ndarray:
    """The inner quantile positions ``1/bins, ..., (bins-1)/bins``, each ``i / bins`` rounded once.

    ``np.linspace(0, 1, bins + 1)[1:-1]`` computes ``i * (1 / bins)``, rounded
    twice, and is sometimes one ULP off (5/7 one ULP low): on a sample with
    a value exactly at that quantile, the edge then falls just below the
    value and moves it a bin up. The MLOps lab's test accepts either.
    """
    if bins < 2:
        raise ValueError(f"PSI needs at least 2 bins, got {bins}")
    return np.arange(1, bins) / bins  # (bins - 1,)


def quantile_edges(reference, bins: int = 10) -> np.ndarray:
    """Inner bin edges at the reference's quantiles (duplicates merged): ``bins - 1`` edges or fewer."""
    positions = quantile_positions(bins)
    return np.unique(np.quantile(_sample(reference, "reference"), positions))


def binned_shares(x, edges: np.ndarray) -> np.ndarray:
    """The share of ``x`` in each bin ``(-inf, e0], (e0, e1], ..., (e_last, inf)``."""
    counts = np.bincount(np.searchsorted(edges, _sample(x, "binned"), side="left"), minlength=len(edges) + 1)
    return counts / counts.sum()


def psi(reference, current, bins: int = 10, eps: float = PSI_EPS) -> float:
    """Population stability index of ``current`` against ``reference`` (quantile bins of the reference).

    Rules of thumb: below 0.1 stable, 0.1 to 0.25 a moderate shift, above
    0.25 a major one. Its size also depends on the window: a small window
    has a large PSI by chance alone.
    """
    return psi_with_edges(reference, current, quantile_edges(reference, bins), eps)


def psi_with_edges(reference, current, edges: np.ndarray, eps: float = PSI_EPS) -> float:
    """PSI over the given inner bin edges (:func:`psi` uses the reference's quantiles)."""
    e = np.clip(binned_shares(reference, edges), eps, None)
    a = np.clip(binned_shares(current, edges), eps, None)
    return float(np.sum((a - e) * np.log(a / e)))


def kolmogorov_sf(x: float, terms: int = 100) -> float:
    """P(K > x) for the Kolmogorov distribution: ``2 * sum_k (-1)**(k-1) * exp(-2 k**2 x**2)``."""
    if x <= 0:
        return 1.0
    k = np.arange(1, terms + 1)
    return float(np.clip(2.0 * np.sum((-1.0) ** (k - 1) * np.exp(-2.0 * k**2 * x**2)), 0.0, 1.0))


def ks_2samp(reference, current) -> TestResult:
    """Two-sample Kolmogorov–Smirnov test: D = max |F_ref - F_cur|, p from sqrt(n m / (n + m)) * D."""
    ref, cur = np.sort(_sample(reference, "reference")), np.sort(_sample(current, "current"))
    grid = np.concatenate([ref, cur])  # the ECDFs only jump at the data
    d = float(np.max(np.abs(np.searchsorted(ref, grid, side="right") / ref.size
                            - np.searchsorted(cur, grid, side="right") / cur.size)))
    en = ref.size * cur.size / (ref.size + cur.size)
    return TestResult(d, kolmogorov_sf(np.sqrt(en) * d))


def chi2_test(reference_counts, current_counts) -> TestResult:
    """Chi-squared test that two count vectors (same categories) come from one distribution.

    The 2 x K contingency table's expected counts are row total x column
    share; categories empty in both samples are dropped; df = K - 1.
    """
    from scipy.stats import chi2  # the distribution's tail; the statistic is the lesson

    ref, cur = np.asarray(reference_counts, dtype=np.float64), np.asarray(current_counts, dtype=np.float64)
    if ref.ndim != 1 or ref.shape != cur.shape or len(ref) < 2 or np.any(ref < 0) or np.any(cur < 0):
        raise ValueError(f"chi2_test takes two equally long vectors of non-negative counts (2 or more "
                         f"categories), got shapes {np.shape(reference_counts)} and {np.shape(current_counts)}")
    table = np.stack([ref, cur])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or np.any(table.sum(axis=1) == 0):
        return TestResult(0.0, 1.0)  # one category, or an empty sample: nothing to compare
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    stat = float(np.sum((table - expected) ** 2 / expected))
    return TestResult(stat, float(chi2.sf(stat, df=table.shape[1] - 1)))


def mean_embedding_distance(A: np.ndarray, B: np.ndarray) -> float:
    """|| mean(A) - mean(B) ||: A (n, d) and B (m, d) embeddings."""
    return float(np.linalg.norm(A.mean(axis=0) - B.mean(axis=0)))


def median_bandwidth(Z: np.ndarray) -> float:
    """The median pairwise distance of the rows of Z (a common choice of RBF bandwidth)."""
    sq = np.sum(Z**2, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * Z @ Z.T, 0.0)
    return float(np.sqrt(np.median(d2[np.triu_indices(len(Z), k=1)])))


def mmd2_rbf(A: np.ndarray, B: np.ndarray, bandwidth: float | None = None) -> float:
    """Unbiased squared maximum mean discrepancy with k(x, y) = exp(-|x - y|^2 / (2 h^2))."""
    Z = np.concatenate([A, B])
    K = _rbf_kernel(Z, bandwidth if bandwidth is not None else median_bandwidth(Z))
    return float(_mmd2_from_kernel(K, np.arange(len(Z)) < len(A)))


def _rbf_kernel(Z: np.ndarray, h: float) -> np.ndarray:
    sq = np.sum(Z**2, axis=1)
    return np.exp(-np.maximum(sq[:, None] + sq[None, :] - 2 * Z @ Z.T, 0.0) / (2 * h**2))


def _mmd2_from_kernel(K: np.ndarray, in_a: np.ndarray) -> np.ndarray:
    """Unbiased MMD^2 for one split (in_a: (N,) bool) or many (in_a: (P, N) bool)."""
    wa = np.atleast_2d(in_a).astype(np.float64)  # (P, N)
    wb = 1.0 - wa
    n, m = wa.sum(axis=1), wb.sum(axis=1)  # (P,)
    diag = np.diag(K)  # (N,)
    Ka, Kb = wa @ K, wb @ K  # (P, N)
    kaa = (np.sum(Ka * wa, axis=1) - wa @ diag) / (n * (n - 1))  # pairs within A, i != j
    kbb = (np.sum(Kb * wb, axis=1) - wb @ diag) / (m * (m - 1))
    kab = np.sum(Ka * wb, axis=1) / (n * m)
    out = kaa + kbb - 2 * kab
    return out[0] if np.ndim(in_a) == 1 else out


def permutation_statistics(A: np.ndarray, B: np.ndarray, statistic: str = "mean_distance", *,
                           n_permutations: int = 200, rng: np.random.Generator | None = None,
                           bandwidth: float | None = None) -> tuple[float, np.ndarray]:
    """The statistic between embedding sets A (n, d) and B (m, d), and its values over random relabellings.

    Under "no drift" the pooled rows are exchangeable: shuffle which rows
    are called A and recompute. ``statistic`` is ``"mean_distance"``
    (:func:`mean_embedding_distance`) or ``"mmd"`` (:func:`mmd2_rbf`, median
    bandwidth of the pooled rows). Returns (observed, (n_permutations,) null values).
    """
    if statistic not in ("mean_distance", "mmd"):
        raise ValueError(f"statistic is 'mean_distance' or 'mmd', got {statistic!r}")
    A, B = np.asarray(A, np.float64), np.asarray(B, np.float64)
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[1] or len(A) < 2 or len(B) < 2:
        raise ValueError(f"two sets of at least 2 embeddings of one size, got shapes {A.shape} and {B.shape}")
    rng = rng if rng is not None else np.random.default_rng(0)
    Z = np.concatenate([A, B])  # (N, d)
    N, n = len(Z), len(A)
    perms = np.argsort(rng.random((n_permutations, N)), axis=1)  # (P, N): each row a shuffle
    in_a = np.zeros((n_permutations + 1, N), bool)
    in_a[0, :n] = True  # the observed split first
    np.put_along_axis(in_a[1:], perms[:, :n], True, axis=1)
    if statistic == "mean_distance":
        W = in_a / n - (~in_a) / (N - n)  # (P+1, N): mean(A) - mean(B) = W @ Z
        stats = np.linalg.norm(W @ Z, axis=1)
    else:
        K = _rbf_kernel(Z, bandwidth if bandwidth is not None else median_bandwidth(Z))
        stats = _mmd2_from_kernel(K, in_a)
    return float(stats[0]), stats[1:]


def permutation_test(A: np.ndarray, B: np.ndarray, statistic: str = "mean_distance", *,
                     n_permutations: int = 200, rng: np.random.Generator | None = None,
                     bandwidth: float | None = None) -> TestResult:
    """A p-value for the difference between embedding sets A and B: p = (1 + #{null >= observed}) / (1 + P).

    The +1 counts the observed split among the relabellings, so that p is
    never 0 (at best 1 / (1 + P)). See :func:`permutation_statistics`.
    """
    observed, null = permutation_statistics(A, B, statistic, n_permutations=n_permutations, rng=rng,
                                            bandwidth=bandwidth)
    return TestResult(observed, float((1 + np.sum(null >= observed - 1e-12)) / (1 + n_permutations)))
