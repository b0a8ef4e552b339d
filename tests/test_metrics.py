"""Tests for utils.metrics: clustering accuracies, NMI, ARI."""
import numpy as np
import pytest

from utils.metrics import clustering_scores, hungarian_accuracy, many_to_one_accuracy, paper_accuracy


def test_permuted_perfect_clustering_scores_one():
    y_true = np.repeat(np.arange(4), 5)
    y_pred = np.array([7, 2, 0, 5])[y_true]
    scores = clustering_scores(y_true, y_pred)
    assert scores['accuracy_hungarian'] == 1.0
    assert scores['accuracy_many_to_one'] == 1.0
    assert scores['nmi'] == pytest.approx(1.0)
    assert scores['ari'] == pytest.approx(1.0)
    assert scores['clusters_in_use'] == 4


def test_hand_made_same_number_of_clusters_and_labels():
    # Contingency (labels x clusters): [[2, 0], [1, 1], [0, 2]] -> both methods pick 2 + 2.
    y_true, y_pred = [0, 0, 1, 1, 2, 2], [0, 0, 0, 1, 1, 1]
    assert hungarian_accuracy(y_true, y_pred) == pytest.approx(4 / 6)
    assert many_to_one_accuracy(y_true, y_pred) == pytest.approx(4 / 6)


def test_hand_made_many_to_one_beats_hungarian():
    # Contingency: [[2, 1, 0], [0, 1, 2]]. Hungarian: 2 + 2 (cluster 1 unmatched). Many-to-one: 2 + 1 + 2.
    y_true, y_pred = [0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]
    assert hungarian_accuracy(y_true, y_pred) == pytest.approx(4 / 6)
    assert many_to_one_accuracy(y_true, y_pred) == pytest.approx(5 / 6)


def test_more_clusters_than_labels_splitting_classes():
    y_true = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    y_pred = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    assert many_to_one_accuracy(y_true, y_pred) == 1.0
    assert hungarian_accuracy(y_true, y_pred) == pytest.approx(0.5)


def test_fewer_clusters_than_labels():
    y_true, y_pred = [0, 1, 2, 3], [0, 0, 1, 1]
    assert hungarian_accuracy(y_true, y_pred) == pytest.approx(0.5)
    assert many_to_one_accuracy(y_true, y_pred) == pytest.approx(0.5)


def test_single_cluster():
    y_true, y_pred = [0, 0, 0, 1, 1, 2], [3, 3, 3, 3, 3, 3]
    scores = clustering_scores(y_true, y_pred)
    assert scores['accuracy_hungarian'] == pytest.approx(0.5)
    assert scores['accuracy_many_to_one'] == pytest.approx(0.5)
    assert scores['nmi'] == pytest.approx(0.0)
    assert scores['ari'] == pytest.approx(0.0)
    assert scores['clusters_in_use'] == 1


def test_scores_are_plain_python_numbers():
    scores = clustering_scores(np.array([0, 1, 1], dtype=np.uint8), np.array([1, 0, 0], dtype=np.int64))
    assert set(scores) == {'accuracy_hungarian', 'accuracy_many_to_one', 'nmi', 'ari', 'clusters_in_use'}
    assert all(type(v) in (float, int) for v in scores.values())


@pytest.mark.parametrize('y_true, y_pred, message', [
    ([0, 1, 2], [0, 1], 'same length'),
    ([], [], 'must not be empty'),
    ([[0, 1], [1, 0]], [[0, 1], [1, 0]], '1-D'),
    ([0.0, 1.0], [0, 1], 'integers'),
    ([0, 1], ['a', 'b'], 'integers'),
])
@pytest.mark.parametrize('fn', [hungarian_accuracy, many_to_one_accuracy, clustering_scores])
def test_bad_input_raises(fn, y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        fn(y_true, y_pred)


# ------------------------------------------------------------------ the GMVAE paper's protocol
def test_paper_accuracy_takes_the_label_of_the_most_confident_point_not_the_majority():
    # Cluster 0 holds labels 1, 1, 1, 2; its most confident point (0.99) is the 2: all four become 2.
    # Cluster 1 holds labels 3, 3; its most confident point is a 3.
    y_true = np.array([1, 1, 1, 2, 3, 3])
    p0 = np.array([0.9, 0.8, 0.7, 0.99, 0.2, 0.1])
    confidence = np.stack([p0, 1 - p0], axis=1)
    assert paper_accuracy(y_true, confidence) == pytest.approx(3 / 6)          # the 2 and the two 3s
    assert many_to_one_accuracy(y_true, confidence.argmax(axis=1)) == pytest.approx(5 / 6)


def test_paper_accuracy_looks_for_the_confident_point_among_all_points():
    # Point 2 (label 0) is assigned to cluster 0 (0.6 > 0.4), yet no point is surer of cluster 1 than it
    # (0.4): cluster 1 takes label 0 although all of its own points are labelled 1.
    y_true = np.array([0, 0, 0, 1, 1])
    p1 = np.array([0.1, 0.2, 0.4, 0.35, 0.3])
    confidence = np.stack([1 - p1, p1], axis=1)
    assert confidence.argmax(axis=1).tolist() == [0, 0, 0, 0, 0]
    assert paper_accuracy(y_true, confidence) == pytest.approx(3 / 5)
    p1[3:] = [0.9, 0.8]                                # now clusters 0 and 1 are pure, each confident inside
    assert paper_accuracy(y_true, np.stack([1 - p1, p1], axis=1)) == 1.0


def test_paper_accuracy_ranks_log_odds_where_probabilities_round_to_one():
    # In float32 both points of cluster 0 have probability 1.0; the log-odds tell the surer one.
    y_true = np.array([4, 5, 6])
    log_odds = np.array([[30.0, -30.0], [60.0, -60.0], [-5.0, 5.0]])
    probabilities = (1 / (1 + np.exp(-log_odds))).astype(np.float32)
    assert probabilities[0, 0] == probabilities[1, 0] == 1.0
    assert paper_accuracy(y_true, log_odds) == pytest.approx(2 / 3)     # cluster 0 takes label 5
    assert paper_accuracy(y_true, probabilities) == pytest.approx(2 / 3)  # a tie: the first point, label 4


@pytest.mark.parametrize('confidence, message', [
    (np.zeros(3), '2-D'),
    (np.array([[0.5, np.nan], [0.2, 0.8], [0.1, 0.9]]), 'NaN'),
    (np.ones((2, 2)), 'same length'),
])
def test_paper_accuracy_bad_input_raises(confidence, message):
    with pytest.raises(ValueError, match=message):
        paper_accuracy(np.array([0, 1, 1]), confidence)
