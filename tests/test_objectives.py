"""The training objectives of issue 12: the IWAE bound (--iw_train_samples), KL warm-up (--warmup_epochs),
the paper's M Monte Carlo samples (--mc_samples) and the cosine learning rate (--lr_schedule)."""
import json

import numpy as np
import pytest
import tensorflow as tf

from Alg_GMVAE.GMVAE_graph import GMVAEGraph
from Alg_VAE.VAE_graph import VAEGraph
from Alg_VAE.VAE_model import VAEModel
from base.base_model import RunError
from networks import batch_noise
from tests.conftest import blobs
from tests.test_original_behaviour import build, folders
from utils.args import parse_args
from utils.data import Dataset, Split

SHAPE = (28, 28, 1)


def graph_of(family, *flags):
    graph_class = VAEGraph if family == 'VAE' else GMVAEGraph
    graph = graph_class.from_args(parse_args(family, ['--likelihood=bernoulli', '--hidden_dim=32', *flags]), SHAPE)
    graph.loss_terms(tf.zeros((1,) + SHAPE))   # creates the variables
    return graph


def binary_batch(n=16):
    return tf.constant(np.round(blobs(n, SHAPE[:2])[0]))


def with_noise(fn, seed):
    """fn, traced once, as draw(i): fn() under the batch noise keyed (seed, i)."""
    @tf.function
    def draw(i):
        with batch_noise.batch_noise(tf.stack([tf.constant(seed, tf.int64), i]), 16):
            return fn()
    return lambda i: draw(tf.constant(i, tf.int64))


def mean_over_draws(fn, draws):
    """fn() averaged over `draws` calls, each under its own batch noise (-> float) and its standard error."""
    draw = with_noise(fn, 7)
    values = [float(draw(i)) for i in range(draws)]
    return float(np.mean(values)), float(np.std(values) / np.sqrt(draws))


# ------------------------------------------------------------------ M Monte Carlo samples
@pytest.mark.parametrize('family', ['VAE', 'GMVAE'])
def test_mc_samples_average_each_term_over_m_draws(family):
    """Each term with M samples is the mean of M one-sample terms: the same expectation, 1/M the variance."""
    M, draws = 8, 160
    x = binary_batch()
    one, many = graph_of(family), graph_of(family, f'--mc_samples={M}')
    many.set_weights(one.get_weights())
    one_terms, many_terms = tf.function(one.per_example_terms), tf.function(many.per_example_terms)   # traced once
    single_draws = [one_terms(x) for _ in range(draws)]
    averaged_draws = [many_terms(x) for _ in range(draws // M)]
    for name in one.term_names:
        single = [np.asarray(terms[name]) for terms in single_draws]                           # each (B,)
        averaged = [np.asarray(terms[name]) for terms in averaged_draws]
        assert averaged[0].shape == (16,)
        if name == 'kl_w' or family == 'VAE' and name == 'kl_z':     # analytic: no sampling noise at all
            np.testing.assert_allclose(averaged[0], single[0], rtol=1e-5)
            continue
        var_single, var_averaged = np.var(single, axis=0).mean(), np.var(averaged, axis=0).mean()
        assert 0.3 / M < var_averaged / var_single < 3.0 / M, name
        gap = np.abs(np.mean(single, axis=0) - np.mean(averaged, axis=0))
        assert (gap < 5 * np.sqrt(2 * np.var(single, axis=0) / draws) + 1e-4).all(), name


def test_mc_samples_are_saved_and_a_change_is_refused(tmp_path):
    common = ['--batch_size=16', '--hidden_dim=16', '--summary=0', *folders(tmp_path)]
    model = build('VAE', VAEGraph, VAEModel, common + ['--mc_samples=3', '--epochs=1'], tiny_dataset())
    model.train()
    assert np.isfinite(model.history['train/loss']).all() and np.isfinite(model.history['valid/loss']).all()
    assert json.load(open(model.paths.config_file))['mc_samples'] == 3
    again = build('VAE', VAEGraph, VAEModel, common + ['--epochs=2'], tiny_dataset())
    with pytest.raises(RunError, match=r'--mc_samples \(saved 3, given 1\)'):
        again.restore(required=False)


# ------------------------------------------------------------------ IWAE objective
@pytest.mark.parametrize('family', ['VAE', 'GMVAE'])
def test_iwae_objective_at_one_sample_is_minus_the_mean_log_weight(family):
    graph, x = graph_of(family), binary_batch()
    seed = tf.constant([3, 4], tf.int64)
    with batch_noise.batch_noise(seed, 16):
        objective = graph.iwae_objective(x)
    with batch_noise.batch_noise(seed, 16):
        weights = graph.log_importance_weights(x, 1)
    assert float(objective) == pytest.approx(-float(tf.reduce_mean(weights)), rel=1e-6)


def test_iwae_objective_at_one_sample_estimates_minus_the_elbo():
    """k = 1: the IWAE objective (Monte Carlo KL) and -ELBO (analytic KL) agree in expectation."""
    graph, x = graph_of('VAE'), binary_batch()
    iwae, iwae_error = mean_over_draws(lambda: graph.iwae_objective(x), 300)
    elbo, elbo_error = mean_over_draws(lambda: graph.loss_terms(x)['loss'], 300)
    assert abs(iwae - elbo) < 4 * np.hypot(iwae_error, elbo_error) + 0.05


@pytest.mark.parametrize('family', ['VAE', 'GMVAE'])
def test_iwae_bound_with_more_samples_is_tighter_than_the_elbo(family):
    """L_k >= L_1 in expectation (Burda et al., Theorem 1): -L_5 below -L_1 on a fixed batch."""
    one, many = graph_of(family), graph_of(family, '--iw_train_samples=5')
    many.set_weights(one.get_weights())
    x = binary_batch()
    elbo, elbo_error = mean_over_draws(lambda: one.iwae_objective(x), 100)
    bound, bound_error = mean_over_draws(lambda: many.iwae_objective(x), 100)
    assert bound < elbo - 4 * np.hypot(elbo_error, bound_error)


def test_iwae_training_reports_the_elbo_and_minimises_the_bound():
    graph, x = graph_of('VAE', '--iw_train_samples=4'), binary_batch()
    with batch_noise.batch_noise(tf.constant([0, 1], tf.int64), 16):
        terms = graph.loss_terms(x, training=True)
    np.testing.assert_allclose(terms['loss'], terms['reconstruction'] + terms['kl_z'], rtol=1e-6)
    assert float(terms['objective']) != pytest.approx(float(terms['loss']), rel=1e-4)
    variables = graph.trainable_variables
    optimizer = tf.keras.optimizers.Adam(1e-3)

    def step():
        with tf.GradientTape() as tape:
            objective = graph.loss_terms(x, training=True)['objective']
        optimizer.apply_gradients(zip(tape.gradient(objective, variables), variables))
        return objective

    train = with_noise(step, 0)
    losses = [float(train(i)) for i in range(60)]
    assert np.isfinite(losses).all() and np.mean(losses[-10:]) < np.mean(losses[:10]) - 20


# ------------------------------------------------------------------ warm-up
@pytest.mark.parametrize('family', ['VAE', 'GMVAE'])
@pytest.mark.parametrize('kl_weight', [0.0, 0.25, 1.0])
def test_warmup_weight_scales_every_kl_term_and_not_the_reported_loss(family, kl_weight):
    graph, x = graph_of(family, '--beta=2'), binary_batch()
    with batch_noise.batch_noise(tf.constant([0, 1], tf.int64), 16):
        terms = graph.loss_terms(x, kl_weight=kl_weight)
    kl = sum(float(terms[name]) for name in graph.term_names if name != 'reconstruction')
    assert float(terms['objective']) == pytest.approx(float(terms['reconstruction']) + 2 * kl_weight * kl, rel=1e-5)
    assert float(terms['loss']) == pytest.approx(float(terms['reconstruction']) + kl, rel=1e-5)


def test_warmup_weight_scales_the_log_ratio_of_the_iwae_objective():
    graph, x = graph_of('VAE', '--iw_train_samples=3'), binary_batch()
    seed = tf.constant([5, 6], tf.int64)
    with batch_noise.batch_noise(seed, 16):
        objective = graph.iwae_objective(x, kl_weight=0.5)
    with batch_noise.batch_noise(seed, 16):
        log_px, log_ratio = graph.log_weight_parts(x, 3)
    expected = -np.mean(tf.reduce_logsumexp(log_px + 0.5 * log_ratio, axis=0) - np.log(3.0))
    assert float(objective) == pytest.approx(expected, rel=1e-6)


def tiny_dataset():
    x, y = blobs(120, SHAPE[:2])
    return Dataset('MNIST', Split(x[:80], y[:80]), Split(x[80:100], y[80:100]), Split(x[100:], y[100:]))


def test_warmup_rises_linearly_over_its_epochs_then_stays_at_one(tmp_path):
    argv = ['--warmup_epochs=2', '--batch_size=16', '--hidden_dim=16', *folders(tmp_path)]
    model = build('VAE', VAEGraph, VAEModel, argv, tiny_dataset())      # 80 images: 5 steps per epoch
    weights = [float(model.kl_weight(tf.constant(step))) for step in range(12)]
    np.testing.assert_allclose(weights, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.0, 1.0], rtol=1e-6)
    plain = build('VAE', VAEGraph, VAEModel, argv[1:], tiny_dataset())
    assert float(plain.kl_weight(tf.constant(0))) == 1.0


def test_early_stopping_waits_for_the_end_of_the_warmup(tmp_path):
    argv = ['--warmup_epochs=4', '--patience=1', '--min_delta=1e9', '--epochs=6', '--batch_size=16',
            '--hidden_dim=16', '--summary=0', *folders(tmp_path)]
    model = build('VAE', VAEGraph, VAEModel, argv, tiny_dataset())
    model.train()
    assert int(model.epoch.numpy()) == 4     # no epoch can improve by 1e9 nats: it stops as the warm-up ends


def test_objective_flags_are_saved_and_a_change_is_refused(tmp_path):
    common = ['--warmup_epochs=1', '--batch_size=16', '--hidden_dim=16', *folders(tmp_path)]
    model = build('VAE', VAEGraph, VAEModel, common + ['--iw_train_samples=2', '--epochs=1'], tiny_dataset())
    model.train()
    saved = json.load(open(model.paths.config_file))
    assert (saved['warmup_epochs'], saved['iw_train_samples']) == (1, 2)
    again = build('VAE', VAEGraph, VAEModel, common + ['--iw_train_samples=5', '--epochs=2'], tiny_dataset())
    with pytest.raises(RunError, match=r'--iw_train_samples \(saved 2, given 5\)'):
        again.restore(required=False)


@pytest.mark.parametrize('family, flags', [
    ('VAE', ['--iw_train_samples=0']),
    ('VAE', ['--warmup_epochs=-1']),
    ('GMVAE', ['--iw_train_samples=5', '--y_prior_threshold=1']),
    ('VAE', ['--mc_samples=0']),
    ('GMVAE', ['--mc_samples=2', '--iw_train_samples=2']),
])
def test_bad_objective_flags_are_one_sentence(family, flags, capsys):
    with pytest.raises(SystemExit) as stop:
        parse_args(family, flags)
    assert stop.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_cosine_schedule_anneals_the_learning_rate_to_zero_over_the_run(tmp_path):
    argv = ['--lr_schedule=cosine', '--learning_rate=0.01', '--epochs=2', '--batch_size=16', '--hidden_dim=16',
            '--summary=0', *folders(tmp_path)]
    model = build('VAE', VAEGraph, VAEModel, argv, tiny_dataset())      # 5 steps per epoch: T = 10
    rate = model.optimizer.learning_rate
    assert float(rate) == pytest.approx(0.01)
    model.train()
    assert int(model.optimizer.iterations.numpy()) == 10
    assert float(model.optimizer.learning_rate) == pytest.approx(0.0, abs=1e-9)
    schedule = model.learning_rate()
    np.testing.assert_allclose([float(schedule(t)) for t in (0, 5, 10, 20)], [0.01, 0.005, 0.0, 0.0], atol=1e-9)
    saved = json.load(open(model.paths.config_file))
    assert saved['lr_schedule'] == 'cosine'
    plain = build('VAE', VAEGraph, VAEModel, argv[1:], tiny_dataset())
    assert float(plain.optimizer.learning_rate) == pytest.approx(0.01)
    with pytest.raises(RunError, match=r'--lr_schedule \(saved cosine, given constant\)'):
        plain.restore(required=False)
