"""Tests for Alg_GMVAE: the closed-form p(y|w,z), the -ELBO terms against brute force and Monte Carlo,
shapes, learning, free bits, checkpoints and tf.function."""
from types import SimpleNamespace

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from Alg_GMVAE.GMVAECNN_graph import GMVAECNNGraph
from Alg_GMVAE.GMVAE_graph import GMVAEGraph
from tests.conftest import blobs

K, Z_DIM, W_DIM = 4, 3, 2


def make(cls=GMVAEGraph, shape=(28, 28), seed=0, **overrides):
    keras.utils.set_random_seed(seed)
    settings = dict(sigma=0.01, z_dim=Z_DIM, hidden_dim=16, num_layers=1, w_dim=W_DIM, K_clusters=K, seed=seed)
    settings.update(overrides)
    graph = cls(shape + (1,), **settings)
    graph.loss_terms(tf.zeros((1,) + graph.image_shape))   # creates the variables
    return graph


def images(n, shape=(28, 28), seed=0):
    return tf.constant(blobs(n, shape, seed)[0])


def record_draws(graph, monkeypatch):
    """Keep every eps ~ N(0, I) the graph draws, in order."""
    draws = []
    draw = graph.standard_normal

    def recording(shape):
        eps = draw(shape)
        draws.append(eps.numpy().astype(np.float64))
        return eps
    monkeypatch.setattr(graph, 'standard_normal', recording)
    return draws


def log_normal_np(x, mean, log_var):
    """log N(x | mean, diag exp(log_var)) over the last axis, by scipy (one point at a time)."""
    out = np.empty(np.broadcast_shapes(x.shape, mean.shape)[:-1])
    xs, ms, vs = np.broadcast_arrays(x, mean, np.exp(log_var))
    for index in np.ndindex(out.shape):
        out[index] = multivariate_normal(ms[index], np.diag(vs[index])).logpdf(xs[index])
    return out


def as_np(*tensors):
    return [np.asarray(t, dtype=np.float64) for t in tensors]


# ---------------------------------------------------------------------------- closed form and terms
def test_log_posterior_y_matches_brute_force():
    graph = make()
    rng = np.random.default_rng(1)
    z = rng.normal(size=(6, Z_DIM)).astype(np.float32)
    w = rng.normal(size=(6, W_DIM)).astype(np.float32)
    means, log_vars = as_np(*graph.prior_z(tf.constant(w)))
    log_joint = np.log(1.0 / K) + log_normal_np(z[:, None, :].astype(np.float64), means, log_vars)
    expected = log_joint - logsumexp(log_joint, axis=1, keepdims=True)
    got = graph.log_posterior_y(tf.constant(z), tf.constant(w)).numpy()
    assert got.shape == (6, K)
    np.testing.assert_allclose(got, expected, atol=1e-4)
    np.testing.assert_allclose(np.exp(got).sum(axis=1), 1.0, atol=1e-5)


def test_posterior_cluster_log_odds_is_the_mean_of_p_y_over_the_draws(monkeypatch):
    graph = make()
    x = images(5)
    draws = record_draws(graph, monkeypatch)
    got = graph.posterior_cluster_log_odds(x, samples=7).numpy().astype(np.float64)
    assert got.shape == (5, K)
    # Brute force from the same draws: q(y|x) = mean over the 7 draws of p(y|w,z), then its log-odds.
    z_mean, z_log_var, w_mean, w_log_var = as_np(*graph.encode(x))
    z = z_mean + np.exp(0.5 * z_log_var) * draws[0].transpose(1, 0, 2)         # (S, B, z_dim)
    w = w_mean + np.exp(0.5 * w_log_var) * draws[1].transpose(1, 0, 2)         # (S, B, w_dim)
    p_y = np.exp(graph.log_posterior_y(tf.constant(z.reshape(-1, Z_DIM), tf.float32),
                                       tf.constant(w.reshape(-1, W_DIM), tf.float32)).numpy()).reshape(7, 5, K)
    q_y = p_y.astype(np.float64).mean(axis=0)
    np.testing.assert_allclose(got, np.log(q_y) - np.log1p(-q_y), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose((1 / (1 + np.exp(-got))).sum(axis=1), 1.0, atol=1e-5)   # q(y|x) sums to 1


def test_posterior_cluster_log_odds_is_the_plug_in_without_posterior_spread():
    graph = make()
    x = images(5)
    z_mean, _, w_mean, _ = graph.encode(x)
    tiny = -40.0 * tf.ones_like(z_mean), -40.0 * tf.ones_like(w_mean)
    graph.encode = lambda _: (z_mean, tiny[0], w_mean, tiny[1])   # q(z|x), q(w|x): point masses at the means
    np.testing.assert_allclose(graph.posterior_cluster_log_odds(x, samples=3), graph.cluster_log_odds(x),
                               rtol=1e-4, atol=1e-3)


def test_terms_match_brute_force_and_monte_carlo(monkeypatch):
    graph = make()
    x = images(4)
    draws = record_draws(graph, monkeypatch)
    terms = {k: v.numpy().astype(np.float64) for k, v in graph.per_example_terms(x).items()}
    eps_z, eps_w = (eps[:, 0] for eps in draws)     # each (B, 1, D): one sample per image
    z_mean, z_log_var, w_mean, w_log_var = as_np(*graph.encode(x))
    z = z_mean + np.exp(0.5 * z_log_var) * eps_z
    w = w_mean + np.exp(0.5 * w_log_var) * eps_w
    means, log_vars = as_np(*graph.prior_z(tf.constant(w, tf.float32)))

    # p(y|w,z) by brute force, and kl_y as a direct sum
    log_joint = log_normal_np(z[:, None, :], means, log_vars)
    log_p_y = log_joint - logsumexp(log_joint, axis=1, keepdims=True)
    p_y = np.exp(log_p_y)
    np.testing.assert_allclose(terms['kl_y'], (p_y * log_p_y).sum(axis=1) + np.log(K), atol=1e-4)

    # reconstruction at the same z
    rec = graph.reconstruction(x, tf.constant(z[None], tf.float32)).numpy()
    np.testing.assert_allclose(terms['reconstruction'], rec, rtol=1e-4)

    # kl_z: weights at the sampled (w, z), KL_j estimated by Monte Carlo over z' ~ q(z|x)
    rng = np.random.default_rng(2)
    m = 200_000
    zs = z_mean[:, None, :] + np.exp(0.5 * z_log_var[:, None, :]) * rng.normal(size=(4, m, Z_DIM))   # (B, M, D)

    def log_n(v, mean, log_var):
        return -0.5 * np.sum(np.log(2 * np.pi) + log_var + (v - mean) ** 2 / np.exp(log_var), axis=-1)

    log_q = log_n(zs, z_mean[:, None, :], z_log_var[:, None, :])                                  # (B, M)
    log_p = log_n(zs[:, None, :, :], means[:, :, None, :], log_vars[:, :, None, :])              # (B, K, M)
    weighted = np.einsum('bk,bkm->bm', p_y, log_q[:, None, :] - log_p)                            # (B, M)
    standard_error = weighted.std(axis=1) / np.sqrt(m)
    assert np.all(np.abs(terms['kl_z'] - weighted.mean(axis=1)) < 5 * standard_error + 1e-4)

    # kl_w against Monte Carlo over w' ~ q(w|x)
    ws = w_mean[:, None, :] + np.exp(0.5 * w_log_var[:, None, :]) * rng.normal(size=(4, m, W_DIM))
    ratio = log_n(ws, w_mean[:, None, :], w_log_var[:, None, :]) - log_n(ws, 0.0, np.zeros(W_DIM))
    standard_error = ratio.std(axis=1) / np.sqrt(m)
    assert np.all(np.abs(terms['kl_w'] - ratio.mean(axis=1)) < 5 * standard_error + 1e-4)

    assert all(np.all(v >= -1e-5) for k, v in terms.items() if k.startswith('kl'))
    assert np.all(terms['kl_y'] <= np.log(K) + 1e-5)


def test_a_given_cluster_is_the_one_hot_q_y_and_no_cluster_changes_nothing(monkeypatch):
    """y given (-1: none): kl_z is then the KL to that component, kl_y = log K, the other terms stay."""
    graph = make()
    x = images(4)
    eps = {}
    monkeypatch.setattr(graph, 'standard_normal',
                        lambda shape: eps.setdefault(tuple(int(d) for d in shape),
                                                     tf.random.stateless_normal(shape, (1, len(eps)))))
    y = tf.constant([2, -1, 0, 3])
    free = {k: v.numpy().astype(np.float64) for k, v in graph.per_example_terms(x).items()}
    given = {k: v.numpy().astype(np.float64) for k, v in graph.per_example_terms(x, y=y).items()}
    z_mean, z_log_var, w_mean, w_log_var = as_np(*graph.encode(x))
    w = w_mean + np.exp(0.5 * w_log_var) * eps[(4, 1, W_DIM)].numpy()[:, 0]
    means, log_vars = as_np(*graph.prior_z(tf.constant(w, tf.float32)))            # (B, K, z_dim)
    rows, k = np.array([0, 2, 3]), np.array([2, 0, 3])
    m, v = means[rows, k], np.exp(log_vars[rows, k])
    kl = 0.5 * np.sum(np.log(v) - z_log_var[rows] + (np.exp(z_log_var[rows]) + (z_mean[rows] - m) ** 2) / v - 1,
                      axis=1)
    np.testing.assert_allclose(given['kl_z'][rows], kl, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(given['kl_y'][rows], np.log(K), rtol=1e-6)
    for name in ('reconstruction', 'kl_w'):
        np.testing.assert_array_equal(given[name], free[name])
    for name in free:
        np.testing.assert_array_equal(given[name][1], free[name][1])
    with tf.GradientTape() as tape:
        objective = graph.loss_terms(x, y=y)['objective']
    assert all(np.all(np.isfinite(g)) for g in tape.gradient(objective, graph.trainable_variables) if g is not None)


def test_samples_come_from_the_chosen_component(monkeypatch):
    graph = make()
    monkeypatch.setattr(graph, 'decode', lambda z, training=False: z)   # return z itself
    draws = record_draws(graph, monkeypatch)

    def components(n_draw):
        eps_w, eps_z = draws[n_draw], draws[n_draw + 1]
        means, log_vars = as_np(*graph.prior_z(tf.constant(eps_w, tf.float32)))
        return means + np.exp(0.5 * log_vars) * eps_z[:, None, :]      # (n, K, z_dim): z for every y

    z = graph.sample_cluster(7, 2).numpy()
    np.testing.assert_allclose(z, components(0)[:, 2], rtol=1e-5, atol=1e-5)
    z = graph.sample(50).numpy()
    distance = np.abs(components(2) - z[:, None, :]).max(axis=-1)         # (n, K)
    assert np.all(distance.min(axis=1) < 1e-5)
    assert len(set(distance.argmin(axis=1))) > 1                           # y is drawn, not fixed


# ---------------------------------------------------------------------------- shapes
@pytest.mark.parametrize('cls', [GMVAEGraph, GMVAECNNGraph])
@pytest.mark.parametrize('shape', [(28, 28), (28, 20)])
def test_output_shapes(cls, shape):
    graph = make(cls, shape)
    assert graph.network == ('cnn' if cls is GMVAECNNGraph else 'dense')
    x = images(5, shape)
    terms = graph.per_example_terms(x, training=True)
    assert set(terms) == set(graph.term_names) == {'reconstruction', 'kl_z', 'kl_w', 'kl_y'}
    for value in terms.values():
        assert value.shape == (5,) and np.all(np.isfinite(value))
    z_mean, z_log_var, w_mean, w_log_var = graph.encode(x)
    assert z_mean.shape == z_log_var.shape == (5, Z_DIM)
    assert w_mean.shape == w_log_var.shape == (5, W_DIM)
    means, log_vars = graph.prior_z(w_mean)
    assert means.shape == log_vars.shape == (5, K, Z_DIM)
    probabilities = graph.cluster_probabilities(x).numpy()
    assert probabilities.shape == (5, K) and np.all(probabilities >= 0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert graph.latent_mean(x).shape == (5, Z_DIM)
    for images_out, n in ((graph.reconstruct(x), 5), (graph.sample(6), 6), (graph.sample_cluster(3, K - 1), 3)):
        assert images_out.shape == (n,) + shape + (1,)
        assert np.all((images_out.numpy() >= 0) & (images_out.numpy() <= 1))


def test_from_args_and_cluster_probabilities_are_deterministic():
    args = SimpleNamespace(sigma=0.01, z_dim=Z_DIM, hidden_dim=16, num_layers=1, drop_prob=0.0, dropout_on='none',
                           beta=2.0, iw_train_samples=1, mc_samples=2, likelihood='bernoulli', seed=3, w_dim=W_DIM,
                           K_clusters=5, y_prior_threshold=0.5)
    graph = GMVAECNNGraph.from_args(args, (28, 20, 1))
    assert (graph.K_clusters, graph.w_dim, graph.y_prior_threshold, graph.likelihood, graph.beta, graph.mc_samples) == (
        5, W_DIM, 0.5, 'bernoulli', 2.0, 2)
    x = tf.round(images(3, (28, 20)))
    assert graph.loss_terms(x)['loss'].shape == ()
    np.testing.assert_array_equal(graph.cluster_probabilities(x), graph.cluster_probabilities(x))


# ---------------------------------------------------------------------------- learning, free bits
def test_loss_decreases():
    graph = make(sigma=0.1)
    x = images(64)
    optimizer = keras.optimizers.Adam(0.003)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            terms = graph.loss_terms(x, training=True)
        optimizer.apply_gradients(zip(tape.gradient(terms['objective'], graph.trainable_variables),
                                      graph.trainable_variables))
        return terms['loss']

    losses = np.array([float(step()) for _ in range(30)])
    assert np.all(np.isfinite(losses))
    assert losses[-5:].mean() < losses[:5].mean() - 0.05 * abs(losses[:5].mean())


def test_free_bits_objective():
    x = images(8)
    off = make().loss_terms(x)
    assert float(off['objective']) == float(off['loss'])
    threshold = 100.0
    on = make(y_prior_threshold=threshold).loss_terms(x)
    assert float(on['kl_y']) < threshold
    assert float(on['objective']) >= float(on['loss'])
    np.testing.assert_allclose(float(on['objective']), float(on['loss'] - on['kl_y']) + threshold, rtol=1e-5)

    graph = make(y_prior_threshold=1.0)
    means = {'reconstruction': tf.constant(1.0), 'kl_z': tf.constant(2.0), 'kl_w': tf.constant(3.0)}
    assert float(graph.objective(dict(means, kl_y=tf.constant(0.5)))) == pytest.approx(7.0)
    assert float(graph.objective(dict(means, kl_y=tf.constant(2.0)))) == pytest.approx(8.0)


def test_free_bits_gradient_vanishes_below_threshold():
    """Below the threshold the bounded kl_y is a constant: it does not pull on the parameters."""
    x = images(8)
    gradients = {}
    for threshold in (0.0, 100.0):
        graph = make(y_prior_threshold=threshold)
        with tf.GradientTape() as tape:
            terms = graph.loss_terms(x)
            target = terms['objective'] - (terms['loss'] - terms['kl_y'])   # what the kl_y part contributes
        gradients[threshold] = tape.gradient(target, graph.prior_mean.kernel)
    assert np.abs(gradients[0.0].numpy()).max() > 0
    assert gradients[100.0] is None or np.abs(gradients[100.0].numpy()).max() == 0


# ---------------------------------------------------------------------------- checkpoints, tf.function
@pytest.mark.parametrize('cls', [GMVAEGraph, GMVAECNNGraph])
def test_checkpoint_round_trip(cls, tmp_path):
    x = images(6)
    graph = make(cls, seed=0)
    path = tf.train.Checkpoint(graph=graph).save(str(tmp_path / 'ckpt'))
    after_save = graph.sample(3).numpy()

    fresh = make(cls, seed=1)
    assert not np.allclose(fresh.latent_mean(x), graph.latent_mean(x))
    tf.train.Checkpoint(graph=fresh).restore(path).assert_existing_objects_matched()
    np.testing.assert_array_equal(fresh.cluster_probabilities(x), graph.cluster_probabilities(x))
    np.testing.assert_array_equal(fresh.latent_mean(x), graph.latent_mean(x))
    np.testing.assert_allclose(fresh.sample(3).numpy(), after_save, atol=1e-6)   # noise state restored too


def test_works_inside_tf_function():
    graph = make(GMVAECNNGraph)
    spec = tf.TensorSpec((None, 28, 28, 1), tf.float32)
    terms = tf.function(graph.per_example_terms, input_signature=[spec])
    probabilities = tf.function(graph.cluster_probabilities, input_signature=[spec])
    loss_terms = tf.function(graph.loss_terms, input_signature=[spec])
    sample = tf.function(graph.sample_cluster, input_signature=[tf.TensorSpec((), tf.int32)] * 2)
    sample_all = tf.function(graph.sample, input_signature=[tf.TensorSpec((), tf.int32)])
    for n in (3, 5):
        x = images(n, seed=n)
        assert all(v.shape == (n,) for v in terms(x).values())
        np.testing.assert_allclose(probabilities(x), graph.cluster_probabilities(x), atol=1e-6)
        assert np.isfinite(float(loss_terms(x)['objective']))
        assert sample(tf.constant(n), tf.constant(1)).shape == (n, 28, 28, 1)
        assert sample_all(tf.constant(n)).shape == (n, 28, 28, 1)
