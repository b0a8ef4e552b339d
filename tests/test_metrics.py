"""Tests for utils.metrics: clustering accuracies, NMI, ARI."""
import numpy as np
import pytest

from utils.metrics import clustering_scores, hungarian_accuracy, many_to_one_accuracy


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
