"""VAE maths and networks: shapes, the analytic terms against Monte Carlo, a loss that decreases."""
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from Alg_VAE.VAECNN_graph import VAECNNGraph
from Alg_VAE.VAE_graph import VAEGraph
from base.distributions import kl_normal, kl_standard_normal, log_normal
from tests.conftest import blobs

SMALL = dict(sigma=0.1, z_dim=4, hidden_dim=32, num_layers=2, drop_prob=0.0, seed=0)


@pytest.mark.parametrize('cls', [VAEGraph, VAECNNGraph])
@pytest.mark.parametrize('shape', [(28, 28, 1), (28, 20, 1)])
def test_shapes(cls, shape):
    graph = cls(shape, **SMALL)
    x = tf.random.uniform((5,) + shape)
    terms = graph.per_example_terms(x, training=True)
    assert set(terms) == {'reconstruction', 'kl_z'}
    assert all(t.shape == (5,) for t in terms.values())
    assert graph.latent_mean(x).shape == (5, 4)
    assert graph.reconstruct(x).shape == (5,) + shape
    samples = graph.sample(3).numpy()
    assert samples.shape == (3,) + shape and samples.min() >= 0 and samples.max() <= 1


def test_kl_terms_agree_with_monte_carlo():
    rng = np.random.default_rng(1)
    mq, lq = rng.normal(size=(2, 3)).astype(np.float32), rng.normal(0, 0.5, (2, 3)).astype(np.float32)
    mp, lp = rng.normal(size=(2, 3)).astype(np.float32), rng.normal(0, 0.5, (2, 3)).astype(np.float32)
    n = 200_000
    z = mq + np.exp(0.5 * lq) * rng.standard_normal((n, 2, 3)).astype(np.float32)
    log_ratio = (log_normal(z, mq, lq) - log_normal(z, mp, lp)).numpy()
    mc, se = log_ratio.mean(0), log_ratio.std(0) / math.sqrt(n)
    np.testing.assert_allclose(kl_normal(mq, lq, mp, lp).numpy(), mc, atol=5 * se.max())
    log_ratio0 = (log_normal(z, mq, lq) - log_normal(z, 0.0 * mq, 0.0 * lq)).numpy()
    np.testing.assert_allclose(kl_standard_normal(mq, lq).numpy(), log_ratio0.mean(0),
                               atol=5 * (log_ratio0.std(0) / math.sqrt(n)).max())


def test_gaussian_reconstruction_is_the_normalised_log_density():
    graph = VAEGraph((28, 20, 1), **SMALL)
    x = tf.random.uniform((3, 28, 20, 1))
    z = tf.random.normal((3, 4))
    mean = graph.decode(z)
    expected = -log_normal(tf.reshape(x, (3, -1)), tf.reshape(mean, (3, -1)),
                           tf.fill((3, 560), math.log(0.1)))
    np.testing.assert_allclose(graph.reconstruction(x, z[None]).numpy(), expected.numpy(), rtol=1e-5)


def test_bernoulli_reconstruction_is_the_cross_entropy():
    graph = VAEGraph((28, 28, 1), **{**SMALL, 'likelihood': 'bernoulli'})
    x = tf.cast(tf.random.uniform((2, 28, 28, 1)) < 0.3, tf.float32)
    z = tf.random.normal((2, 4))
    p = graph.decode(z).numpy()
    expected = -(x.numpy() * np.log(p) + (1 - x.numpy()) * np.log1p(-p)).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(graph.reconstruction(x, z[None]).numpy(), expected, rtol=1e-4)


@pytest.mark.parametrize('cls', [VAEGraph, VAECNNGraph])
def test_loss_is_finite_and_decreases_on_a_tiny_problem(cls):
    keras.utils.set_random_seed(0)
    x, _ = blobs(64, (28, 20))
    graph = cls((28, 20, 1), **SMALL)
    optimizer = keras.optimizers.Adam(3e-3)

    @tf.function
    def step(batch):
        with tf.GradientTape() as tape:
            terms = graph.loss_terms(batch, training=True)
        grads = tape.gradient(terms['objective'], graph.trainable_variables)
        optimizer.apply_gradients(zip(grads, graph.trainable_variables))
        return terms['loss']

    losses = [float(step(tf.constant(x[(i % 4) * 16:(i % 4 + 1) * 16]))) for i in range(40)]
    assert np.all(np.isfinite(losses))
    assert np.mean(losses[-8:]) < np.mean(losses[:8])
