"""Unsupervised clustering scores: predicted cluster ids against true labels.

Cluster ids and labels are arbitrary integers; they need not share values or
counts. All functions take two 1-D integer arrays of the same non-zero length.
"""
import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score


def _check(y_true, y_pred):
    """Return both inputs as 1-D integer numpy arrays, or raise ValueError."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    for name, y in (('y_true', y_true), ('y_pred', y_pred)):
        if y.ndim != 1:
            raise ValueError(f'{name} must be a 1-D array, got shape {y.shape}.')
    if len(y_true) != len(y_pred):
        raise ValueError(f'y_true and y_pred must have the same length, got {len(y_true)} and {len(y_pred)}.')
    if len(y_true) == 0:
        raise ValueError('y_true and y_pred must not be empty.')
    for name, y in (('y_true', y_true), ('y_pred', y_pred)):
        if not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f'{name} must hold integers, got dtype {y.dtype}.')
    return y_true, y_pred


def _contingency(y_true, y_pred):
    """Counts of shape (n_labels, n_clusters): entry [i, j] = #points with the i-th label in the j-th cluster."""
    labels, label_idx = np.unique(y_true, return_inverse=True)
    clusters, cluster_idx = np.unique(y_pred, return_inverse=True)
    table = np.zeros((len(labels), len(clusters)), dtype=np.int64)
    np.add.at(table, (label_idx, cluster_idx), 1)
    return table


def hungarian_accuracy(y_true, y_pred) -> float:
    """Accuracy under the best one-to-one matching of clusters to labels.

    The matching maximises the matched counts of the contingency table
    (scipy.optimize.linear_sum_assignment). With more clusters than labels, or
    the reverse, the unmatched clusters' points count as wrong.
    """
    y_true, y_pred = _check(y_true, y_pred)
    table = _contingency(y_true, y_pred)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum() / len(y_true))


def many_to_one_accuracy(y_true, y_pred) -> float:
    """Accuracy when every cluster predicts the majority label of its points (a majority vote).

    Several clusters may take the same label, so this reaches 1.0 for any
    clustering that only splits classes, however many clusters it uses. It is
    more lenient than the protocol of the GMVAE paper (`paper_accuracy`): it
    looks at every label of a cluster, not at one.
    """
    y_true, y_pred = _check(y_true, y_pred)
    return float(_contingency(y_true, y_pred).max(axis=0).sum() / len(y_true))


def paper_accuracy(y_true, confidence) -> float:
    """Accuracy by the protocol of Dilokthanakul et al. (2016), taken from Makhzani et al. (2016, AAE).

    Each point goes to its most probable cluster, argmax_k confidence[n, k]. Each cluster k then
    takes the label of the ONE point that is most confident about it, argmax_n confidence[n, k]
    over all points, and that label goes to every point assigned to k. Only that point's label is
    used per cluster, so one badly placed confident point costs its whole cluster.

    confidence: (N, K) floats, in each column an increasing function of p(y=k|x_n), the same for
    every column: the probabilities themselves, or better their log-odds, which do not round to
    1.0 for confident points (ties go to the first point). y_true: (N,) integers.
    """
    confidence = np.asarray(confidence)
    if confidence.ndim != 2:
        raise ValueError(f'confidence must be a 2-D array (points, clusters), got shape {confidence.shape}.')
    if np.isnan(confidence).any():
        raise ValueError('confidence holds NaN.')
    clusters = confidence.argmax(axis=1)
    y_true, clusters = _check(y_true, clusters)
    label_of_cluster = y_true[confidence.argmax(axis=0)]     # (K,): the label of each cluster's most confident point
    return float(np.mean(label_of_cluster[clusters] == y_true))


def clustering_scores(y_true, y_pred) -> dict[str, float]:
    """All scores in one dict.

    Keys: 'accuracy_hungarian', 'accuracy_many_to_one', 'nmi' (sklearn
    normalized_mutual_info_score, arithmetic mean), 'ari' (adjusted_rand_score),
    'clusters_in_use' (int: number of distinct predicted clusters).
    """
    y_true, y_pred = _check(y_true, y_pred)
    return {
        'accuracy_hungarian': hungarian_accuracy(y_true, y_pred),
        'accuracy_many_to_one': many_to_one_accuracy(y_true, y_pred),
        'nmi': float(normalized_mutual_info_score(y_true, y_pred)),
        'ari': float(adjusted_rand_score(y_true, y_pred)),
        'clusters_in_use': int(len(np.unique(y_pred))),
    }
