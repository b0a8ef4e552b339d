"""benchmarks/latent_clustering.py: label spreading over the kNN graph of z corrects a lone wrong answer."""
import numpy as np

from benchmarks.latent_clustering import spread


def test_spreading_gives_a_point_the_answer_of_its_neighbours():
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(0, 0.1, (20, 2)), rng.normal(5, 0.1, (20, 2))])   # two tight groups
    probabilities = np.repeat([[0.9, 0.1], [0.1, 0.9]], 20, axis=0)
    probabilities[3] = [0.2, 0.8]                                                     # one point of group 0 wrong
    found = spread(probabilities, z)
    assert found.shape == (40, 2) and np.allclose(found.sum(axis=1), 1)
    assert (found.argmax(axis=1) == np.repeat([0, 1], 20)).all()
