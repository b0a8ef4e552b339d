"""The importance-weighted estimate of log p(x): the weights of each graph against brute force, the
bound's order (ELBO <= L_1 < L_10 < L_100 on average), chunking, the flag and the results metrics."""
import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from Alg_GMVAE.GMVAE_graph import GMVAEGraph
from Alg_VAE.VAE_graph import VAEGraph
from base import iwae
from tests.conftest import blobs
from tests.test_gmvae_graph import log_normal_np, record_draws
from tests.test_model import make_model
from utils.args import parse_args, run_name

SETTINGS = dict(sigma=0.1, z_dim=3, hidden_dim=16, num_layers=1, seed=0)
GRAPHS = {'vae': (VAEGraph, {}), 'gmvae': (GMVAEGraph, dict(w_dim=2, K_clusters=4))}


def make(kind, likelihood='gaussian'):
    cls, extra = GRAPHS[kind]
    keras.utils.set_random_seed(0)
    graph = cls((28, 28, 1), likelihood=likelihood, **SETTINGS, **extra)
    graph.loss_terms(tf.zeros((1, 28, 28, 1)))   # creates the variables
    return graph


def images(n, likelihood='gaussian'):
    x = blobs(n, (28, 28), seed=1)[0]
    return (x > 0.5).astype(np.float32) if likelihood == 'bernoulli' else x


def elbo(graph, x, repeats):
    """-(sum of the -ELBO terms) of each image, averaged over `repeats` draws: (B,)."""
    x, terms = tf.constant(x), tf.function(graph.per_example_terms)   # traced once: a draw is one graph call
    return np.mean([-sum(t.numpy() for t in terms(x).values()) for _ in range(repeats)], axis=0)


# ---------------------------------------------------------------------------- the weights
@pytest.mark.parametrize('kind', GRAPHS)
def test_weight_shapes(kind):
    graph = make(kind)
    x = tf.constant(images(5))
    assert graph.log_importance_weight(x).shape == (5,)
    weights = graph.log_importance_weights(x, 7).numpy()
    assert weights.shape == (7, 5) and np.isfinite(weights).all()
    assert np.ptp(weights, axis=0).min() > 0   # the samples differ


@pytest.mark.parametrize('likelihood', ['gaussian', 'bernoulli'])
@pytest.mark.parametrize('kind', GRAPHS)
def test_one_weight_matches_brute_force(kind, likelihood, monkeypatch):
    """log p(x|z) + log p(z[|w]) [+ log N(w)] - log q(z|x) [- log q(w|x)], from the same noise, by scipy."""
    graph = make(kind, likelihood)
    x = tf.constant(images(4, likelihood))
    draws = record_draws(graph, monkeypatch)
    weight = graph.log_importance_weight(x).numpy()
    encoded = [t.numpy().astype(np.float64) for t in graph.encode(x)]
    latents = [m + np.exp(0.5 * v) * eps[:, 0] for m, v, eps in zip(encoded[::2], encoded[1::2], draws)]  # (B, 1, D)
    z = latents[0]
    expected = -graph.reconstruction(x, tf.constant(z[None], tf.float32)).numpy()
    for latent, mean, log_var in zip(latents, encoded[::2], encoded[1::2]):
        expected -= log_normal_np(latent, mean, log_var)
    if kind == 'vae':
        expected += log_normal_np(z, np.zeros_like(z), np.zeros_like(z))
    else:
        w = latents[1]
        expected += log_normal_np(w, np.zeros_like(w), np.zeros_like(w)) + mixture_log_density(graph, z, w)
    np.testing.assert_allclose(weight, expected, rtol=1e-4, atol=1e-2)


def mixture_log_density(graph, z, w):
    """log (1/K) sum_j N(z | mu_j(w), diag sigma_j^2(w)), one image at a time with scipy: (B,)."""
    means, log_vars = (t.numpy().astype(np.float64) for t in graph.prior_z(tf.constant(w, tf.float32)))
    return np.array([np.log(np.mean([multivariate_normal(means[b, j], np.diag(np.exp(log_vars[b, j]))).pdf(z[b])
                                     for j in range(graph.K_clusters)])) for b in range(len(z))])


def test_gmvae_log_prior_z_is_the_mixture_density():
    graph = make('gmvae')
    rng = np.random.default_rng(0)
    z, w = rng.normal(size=(6, SETTINGS['z_dim'])), rng.normal(size=(6, 2))
    got = graph.log_prior_z(tf.constant(z, tf.float32), tf.constant(w, tf.float32)).numpy()
    np.testing.assert_allclose(got, mixture_log_density(graph, z, w), rtol=1e-5, atol=1e-4)


# ---------------------------------------------------------------------------- the bound
def test_vae_one_sample_estimate_is_the_elbo_in_expectation():
    graph = make('vae')
    x = images(16)
    draws = graph.log_importance_weights(tf.constant(x), 500).numpy()       # (500, 16): k = 1, 500 times
    standard_error = draws.mean(axis=1).std() / np.sqrt(len(draws))
    assert draws.mean() == pytest.approx(elbo(graph, x, 500).mean(), abs=5 * standard_error + 0.05)


def test_gmvae_one_sample_estimate_is_near_its_reported_elbo():
    """Loose: the GMVAE's kl_z is the paper's estimator, not an unbiased one of the same ELBO."""
    graph = make('gmvae')
    x = images(16)
    one_sample = graph.log_importance_weights(tf.constant(x), 500).numpy().mean()
    assert one_sample == pytest.approx(elbo(graph, x, 500).mean(), rel=0.01)


@pytest.mark.parametrize('likelihood', ['gaussian', 'bernoulli'])
@pytest.mark.parametrize('kind', GRAPHS)
def test_estimate_grows_with_k_and_stays_above_the_elbo(kind, likelihood):
    graph = make(kind, likelihood)
    x = np.tile(images(64, likelihood), (4, 1, 1, 1))   # independent estimates of each image, averaged
    estimates = [iwae.log_likelihood(graph.log_importance_weights, x, k, sample_chunk=40).mean() for k in (1, 10, 100)]
    assert estimates[0] < estimates[1] < estimates[2]
    assert estimates[2] >= elbo(graph, x, 50).mean() - 0.1


def test_estimate_shape_and_validation():
    graph = make('vae')
    x = images(7)
    assert iwae.log_likelihood(graph.log_importance_weights, x, 3, image_chunk=2).shape == (7,)
    assert iwae.log_likelihood(graph.log_importance_weights, x[:0], 3).shape == (0,)
    with pytest.raises(ValueError, match='at least one'):
        iwae.log_likelihood(graph.log_importance_weights, x, 0)


# ---------------------------------------------------------------------------- chunking
class TableWeights:
    """Deterministic log weights: those of image i (its index sits in pixel 0) are table[:, i].

    Each call hands out the next `s` rows, cycling over the k rows, so every chunking of the samples
    and of the images sees each image's k weights exactly once.
    """

    def __init__(self, table):
        self.table = tf.constant(table, tf.float32)
        self.drawn = tf.Variable(0)

    def __call__(self, x, s):
        ids = tf.cast(x[:, 0, 0, 0], tf.int32)
        rows = (self.drawn + tf.range(s)) % self.table.shape[0]
        self.drawn.assign_add(s)
        return tf.gather(tf.gather(self.table, rows), ids, axis=1)


@pytest.mark.parametrize('image_chunk, sample_chunk', [(1000, 1000), (7, 30), (3, 1), (50, 64), (1, 200)])
def test_chunking_gives_the_one_chunk_answer(image_chunk, sample_chunk):
    k, n = 200, 23
    table = np.random.default_rng(0).normal(-500.0, 50.0, (k, n)).astype(np.float32)
    x = np.zeros((n, 2, 2, 1), np.float32)
    x[:, 0, 0, 0] = np.arange(n)
    got = iwae.log_likelihood(TableWeights(table), x, k, image_chunk=image_chunk, sample_chunk=sample_chunk)
    np.testing.assert_allclose(got, logsumexp(table.astype(np.float64), axis=0) - np.log(k), rtol=1e-6)


# ---------------------------------------------------------------------------- flag and results
def test_iw_samples_flag():
    args = parse_args('VAE', [])
    assert args.iw_samples == 1000
    assert run_name(parse_args('VAE', ['--iw_samples=5'])) == run_name(args)
    with pytest.raises(SystemExit):
        parse_args('VAE', ['--iw_samples=-1'])


def test_zero_iw_samples_skips_the_estimate(tmp_path):
    model, _ = make_model(tmp_path, '--epochs=1', '--iw_samples=0', '--summary=0')
    model.train()
    metrics = model.results(plot=False)
    assert 'test/nll_iwae' not in metrics and np.isfinite(metrics['test/elbo'])


def test_results_report_the_iwae_estimate(tmp_path):
    model, _ = make_model(tmp_path, '--epochs=1', '--iw_samples=50', '--summary=0')
    model.train()
    metrics = model.results(plot=False)
    with open(os.path.join(model.paths.result_dir, 'metrics.json')) as f:
        assert json.load(f) == pytest.approx(metrics)
    assert metrics['test/iw_samples'] == 50
    assert metrics['test/elbo'] == -metrics['test/loss']
    assert np.isfinite(metrics['test/nll_iwae'])
    assert metrics['test/nll_iwae'] <= metrics['test/loss'] + 1.0
    # the per-image estimates differ, so their mean has a positive, finite standard error
    assert 0 < metrics['test/nll_iwae_stderr'] < np.inf
