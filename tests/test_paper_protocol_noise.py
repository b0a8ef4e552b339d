"""benchmarks/paper_protocol_noise.py: its scores on a hand-made case."""
import numpy as np

from benchmarks.paper_protocol_noise import scores


def test_scores_count_the_clusters_named_against_their_majority():
    y = np.array([1, 1, 1, 2, 3, 3])
    confidence = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.99, 0.01], [0.1, 0.9], [0.2, 0.8]])
    # Cluster 0 holds 1, 1, 1, 2 and is named after its most confident point, the 2; cluster 1 is all 3s.
    assert scores(y, np.log(confidence)) == {'paper': 3 / 6, 'majority': 5 / 6, 'misnamed_clusters': 1}


