"""benchmarks/paper_protocol_noise.py: its scores on hand-made cases, and q(y|x) keyed by the draw."""
import numpy as np

from benchmarks.paper_protocol_noise import posterior_log_odds, scores
from tests.test_gmvae_model import K, make_model


def test_scores_count_the_clusters_named_against_their_majority():
    y = np.array([1, 1, 1, 2, 3, 3])
    confidence = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.99, 0.01], [0.1, 0.9], [0.2, 0.8]])
    # Cluster 0 holds 1, 1, 1, 2 and is named after its most confident point, the 2; cluster 1 is all 3s.
    assert scores(y, np.log(confidence)) == {'paper': 3 / 6, 'majority': 5 / 6, 'misnamed_clusters': 1}


def test_posterior_log_odds_are_repeatable_per_draw_and_differ_between_draws(tmp_path):
    model = make_model(tmp_path)
    first = posterior_log_odds(model, samples=4, draw=0)
    assert first.shape == (len(model.x_test), K) and np.isfinite(first).all()
    np.testing.assert_array_equal(first, posterior_log_odds(model, samples=4, draw=0))
    assert not np.allclose(first, posterior_log_odds(model, samples=4, draw=1))
