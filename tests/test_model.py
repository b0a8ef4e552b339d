"""Training loop, checkpoints and results of BaseModel, on a tiny generated dataset."""
import json
import logging
import os
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

from Alg_VAE.VAE_graph import VAEGraph
from Alg_VAE.VAE_model import VAEModel
from base.base_model import BaseModel, NonFiniteLoss, RunError, RunPaths
from base.errors import Diverged
from tests.conftest import blobs
from utils.args import parse_args, run_name
from utils.data import Dataset, Split


def tiny_dataset(shape=(28, 28)):
    x, y = blobs(200, shape)
    return Dataset('MNIST', Split(x[:120], y[:120]), Split(x[120:160], y[120:160]), Split(x[160:], y[160:]))


def make_model(tmp_path, *flags, dataset=None):
    args = parse_args('VAE', ['--z_dim=2', '--hidden_dim=16', '--batch_size=16', '--epochs=2', '--sigma=0.1',
                              f'--checkpoint_dir={tmp_path}/ckpt', f'--log_dir={tmp_path}/summary',
                              f'--result_dir={tmp_path}/results', *flags])
    keras.utils.set_random_seed(args.seed)   # as base.runner.main does
    dataset = dataset or tiny_dataset()
    paths = RunPaths.from_args(run_name(args), args)
    graph = VAEGraph.from_args(args, dataset.image_shape)
    return VAEModel(graph, args, dataset, paths, logging.getLogger('test')), args


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A VAE trained 2 epochs with make_model's flags, and its folder; a test that goes on from it takes a copy."""
    folder = tmp_path_factory.mktemp('vae')
    model, _ = make_model(folder)
    model.train()
    return model, folder


def copy_of(trained, tmp_path):
    """tmp_path holding a copy of the trained run's folders."""
    shutil.copytree(trained[1], tmp_path, dirs_exist_ok=True)
    return tmp_path


def test_training_writes_checkpoints_history_and_summaries(trained):
    model, _ = trained
    assert int(model.epoch.numpy()) == 2
    assert len(model.history['train/loss']) == 2 and len(model.history['valid/kl_z']) == 2
    assert model.manager.latest_checkpoint.endswith('-2')
    saved = json.load(open(model.paths.config_file))
    assert saved['z_dim'] == 2 and saved['batch_size'] == 16
    assert any(f.startswith('events.out.tfevents') for f in os.listdir(model.paths.summary_dir))


def test_restore_gives_identical_outputs_and_continues_the_epoch_count(trained, tmp_path):
    model, _ = trained
    x = tf.constant(model.x_test[:8])
    expected = model.graph.latent_mean(x).numpy(), model.graph.reconstruct(x).numpy()

    again, _ = make_model(copy_of(trained, tmp_path), '--epochs=3')
    assert again.restore(required=True)
    assert int(again.epoch.numpy()) == 2
    np.testing.assert_array_equal(again.graph.latent_mean(x).numpy(), expected[0])
    np.testing.assert_array_equal(again.graph.reconstruct(x).numpy(), expected[1])
    assert int(again.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy())
    again.train()
    assert int(again.epoch.numpy()) == 3 and len(again.history['train/loss']) == 3


def test_restore_without_checkpoint(tmp_path):
    model, _ = make_model(tmp_path)
    assert model.restore(required=False) is False
    with pytest.raises(RunError, match='train it first'):
        model.restore(required=True)


def test_restore_with_other_training_flags_names_them(trained, tmp_path):
    other, _ = make_model(copy_of(trained, tmp_path), '--l_rate=0.01', '--drop_prob=0.2')
    with pytest.raises(RunError, match=r'--learning_rate \(saved 0.001, given 0.01\).*--drop_prob'):
        other.restore(required=False)


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(trained, tmp_path):
    broken, _ = make_model(copy_of(trained, tmp_path), '--epochs=3')
    assert broken.restore(required=True)
    good = broken.manager.latest_checkpoint
    assert good.endswith('-2')
    bias = broken.graph.q_z.mean.bias
    bias.assign(tf.fill(bias.shape, np.nan))
    with pytest.raises(NonFiniteLoss, match=r'epoch 3.*sigma'):
        broken.train()
    assert broken.manager.latest_checkpoint == good


def diverging_tries(monkeypatch, diverging=0, order=None, epoch=2):
    """Patch BaseModel._train_epoch: the first `diverging` tries of `epoch` (0-based; the third by default) diverge
    (after their real pass the weights are thrown off and the loss reported as 1e9); `order` trains that epoch on
    the order of that try instead."""
    train_epoch = BaseModel._train_epoch

    def patched(self, this, steps, attempt=0):
        terms = train_epoch(self, this, steps, order if this == epoch and order is not None else attempt)
        if this == epoch and attempt < diverging:
            for w in self.graph.trainable_variables:
                w.assign_add(tf.fill(w.shape, 100.0))
            terms = {**terms, 'loss': 1e9}
        return terms

    monkeypatch.setattr(BaseModel, '_train_epoch', patched)


def test_a_diverged_epoch_is_undone_and_trained_again_on_another_order(trained, tmp_path, monkeypatch, caplog):
    diverging_tries(monkeypatch, order=1)
    reference, _ = make_model(copy_of(trained, tmp_path / 'reference'), '--epochs=3')
    assert reference.restore(required=True)
    reference.train()

    diverging_tries(monkeypatch, diverging=1)
    model, _ = make_model(copy_of(trained, tmp_path / 'diverged'), '--epochs=3')
    assert model.restore(required=True)
    model.train()
    assert "Epoch 3 diverged: its training loss, 1000000000.0 nats, ended above the first epoch's" in caplog.text
    assert '(2 of 3 tries)' in caplog.text
    for mine, theirs in zip(model.epoch_state, reference.epoch_state):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    assert model.history['train/loss'] == reference.history['train/loss']


def test_an_epoch_that_diverges_on_every_try_stops_in_one_sentence(trained, tmp_path, monkeypatch):
    diverging_tries(monkeypatch, diverging=3)
    model, _ = make_model(copy_of(trained, tmp_path), '--epochs=3')
    assert model.restore(required=True)
    before = [w.numpy() for w in model.graph.weights]
    with pytest.raises(Diverged, match=r'^epoch 3 diverged: .* on each of 3 orders of the images; the checkpoint of '
                                       r'epoch 2 is kept\. Likely fix: a smaller --learning_rate \(now 0\.001\)$'):
        model.train()
    assert model.manager.latest_checkpoint.endswith('-2')
    for w, saved in zip(model.graph.weights, before):
        np.testing.assert_array_equal(w.numpy(), saved)


def test_a_first_epoch_that_diverges_is_measured_against_the_untrained_model(tmp_path, monkeypatch, caplog):
    diverging_tries(monkeypatch, order=1, epoch=0)
    reference, _ = make_model(tmp_path / 'reference', '--epochs=1')
    reference.train()

    diverging_tries(monkeypatch, diverging=1, epoch=0)
    model, _ = make_model(tmp_path / 'diverged', '--epochs=1')
    untrained = model.evaluate(model.x_valid)['loss']
    model.train()
    assert (f'Epoch 1 diverged: its training loss, 1000000000.0 nats, ended above the validation loss of the '
            f'weights it started from, {untrained:.1f}, by more than {abs(untrained) + 28 * 28:.1f}') in caplog.text
    for mine, theirs in zip(model.epoch_state, reference.epoch_state):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


def test_a_first_epoch_that_diverges_on_every_try_stops_with_no_checkpoint(tmp_path, monkeypatch):
    diverging_tries(monkeypatch, diverging=3, epoch=0)
    model, _ = make_model(tmp_path, '--epochs=2')
    with pytest.raises(Diverged, match=r'^epoch 1 diverged: .* on each of 3 orders of the images; no checkpoint '
                                       r'is saved\. Likely fix: a smaller --learning_rate'):
        model.train()
    assert model.manager.latest_checkpoint is None


def test_batch_larger_than_the_dataset_is_refused(tmp_path):
    model, _ = make_model(tmp_path, '--batch_size=500')
    with pytest.raises(RunError, match='larger than'):
        model.train()


def test_same_seed_same_weights(trained, tmp_path):
    a, _ = trained
    b, _ = make_model(tmp_path)
    b.train()
    for va, vb in zip(a.graph.weights, b.graph.weights):
        np.testing.assert_array_equal(va.numpy(), vb.numpy())


def test_results_write_metrics_and_figures(trained, tmp_path):
    model, _ = make_model(copy_of(trained, tmp_path))
    assert model.restore(required=True)
    metrics = model.results(plot=True)
    on_disk = json.load(open(os.path.join(model.paths.result_dir, 'metrics.json')))
    assert on_disk == pytest.approx(metrics)
    assert {'test/loss', 'test/reconstruction', 'test/kl_z', 'test/kmeans_nmi'} <= set(metrics)
    assert np.isfinite(metrics['test/loss'])
    pngs = [f for f in os.listdir(model.paths.result_dir) if f.endswith('.png')]
    assert len(pngs) >= 4
    assert os.path.exists(os.path.join(model.paths.summary_dir, 'projector_config.pbtxt'))
