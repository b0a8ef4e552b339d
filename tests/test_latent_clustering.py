"""benchmarks/latent_clustering.py: label spreading over the kNN graph of z corrects a lone wrong answer; the
linear probe reads a factor that z holds and not one it lacks."""
import numpy as np

from benchmarks.latent_clustering import FACTORS, probe, spread


def test_spreading_gives_a_point_the_answer_of_its_neighbours():
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(0, 0.1, (20, 2)), rng.normal(5, 0.1, (20, 2))])   # two tight groups
    probabilities = np.repeat([[0.9, 0.1], [0.1, 0.9]], 20, axis=0)
    probabilities[3] = [0.2, 0.8]                                                     # one point of group 0 wrong
    found = spread(probabilities, z)
    assert found.shape == (40, 2) and np.allclose(found.sum(axis=1), 1)
    assert (found.argmax(axis=1) == np.repeat([0, 1], 20)).all()


def test_the_probe_reads_the_colour_that_z_holds_and_not_the_shape_it_lacks():
    rng = np.random.default_rng(0)

    def latents(n):   # z: the colour on one axis, the shape nowhere
        y = rng.integers(0, 9, n)
        return np.stack([y // 3 + rng.normal(0, 0.1, n), rng.normal(0, 1, n)], axis=1), y

    found = probe(*latents(600), *latents(300), FACTORS['shapes_in_colours'])
    assert set(found) == {'class', 'colour', 'shape'}
    assert found['colour'] > 0.95 and found['shape'] < 0.5 and found['class'] < 0.5
