"""GMVAEModel on tiny generated data: training, clustering metrics, projector columns, figures, restore."""
import json
import logging
import os

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from Alg_GMVAE.GMVAE_graph import GMVAEGraph
from Alg_GMVAE.GMVAE_model import GMVAEModel
from base.base_model import RunPaths
from tests.conftest import blobs
from utils.args import parse_args, run_name
from utils.data import Dataset, Split
from utils.metrics import many_to_one_accuracy, paper_accuracy

K = 4
ELBO_TERMS = ('test/reconstruction', 'test/kl_z', 'test/kl_w', 'test/kl_y', 'test/loss')
CLUSTERING = ('test/accuracy_hungarian', 'test/accuracy_many_to_one', 'test/accuracy_paper',
              'test/accuracy_paper_posterior', 'test/nmi', 'test/ari')


def tiny_dataset(shape=(28, 28), labelled=True):
    """200 blob images split 120/40/40; labelled like MNIST, or without labels like FREY."""
    x, y = blobs(200, shape)
    splits = [Split(x[a:b], y[a:b] if labelled else None) for a, b in ((0, 120), (120, 160), (160, 200))]
    return Dataset('MNIST' if labelled else 'FREY', *splits)


def make_model(tmp_path, *flags, dataset=None):
    dataset = dataset or tiny_dataset()
    args = parse_args('GMVAE', ['--z_dim=2', '--w_dim=2', f'--K_clusters={K}', '--hidden_dim=16',
                                '--num_layers=1', '--batch_size=16', '--epochs=2', '--sigma=0.1',
                                f'--dataset_name={dataset.name}', f'--checkpoint_dir={tmp_path}/ckpt',
                                f'--log_dir={tmp_path}/summary', f'--result_dir={tmp_path}/results', *flags])
    paths = RunPaths.from_args(run_name(args), args)
    graph = GMVAEGraph.from_args(args, dataset.image_shape)
    return GMVAEModel(graph, args, dataset, paths, logging.getLogger('test'))


def pngs(model):
    return sorted(f for f in os.listdir(model.paths.result_dir) if f.endswith('.png'))


def projector_rows(model):
    with open(os.path.join(model.paths.summary_dir, 'metadata.tsv')) as f:
        return [line.rstrip('\n').split('\t') for line in f]


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A GMVAE trained 2 epochs on labelled blobs, and its results with figures."""
    tmp_path = tmp_path_factory.mktemp('gmvae')
    model = make_model(tmp_path)
    model.train()
    return model, model.results(plot=True), tmp_path


def test_training_writes_checkpoints_and_every_term(trained):
    model, _, _ = trained
    assert model.manager.latest_checkpoint.endswith('-2')
    for term in ('loss', 'reconstruction', 'kl_z', 'kl_w', 'kl_y'):
        assert len(model.history[f'train/{term}']) == 2 and len(model.history[f'valid/{term}']) == 2


def test_results_report_elbo_terms_and_clustering_scores(trained):
    model, metrics, _ = trained
    with open(os.path.join(model.paths.result_dir, 'metrics.json')) as f:
        assert json.load(f) == pytest.approx(metrics)
    for name in ELBO_TERMS + CLUSTERING + ('test/clusters_in_use', 'test/cluster_confidence'):
        assert np.isfinite(metrics[name]), name
    assert metrics['test/loss'] == pytest.approx(sum(metrics[t] for t in ELBO_TERMS[:4]), rel=1e-5)
    assert 1 <= metrics['test/clusters_in_use'] <= K
    assert 1 / K <= metrics['test/cluster_confidence'] <= 1
    assert 0 <= metrics['test/accuracy_hungarian'] <= metrics['test/accuracy_many_to_one'] <= 1
    assert 0 <= metrics['test/accuracy_paper'] <= metrics['test/accuracy_many_to_one']
    assert metrics['test/accuracy_paper'] == paper_accuracy(model.data.test.y, model.test_log_odds)
    posterior = model.posterior_log_odds(model.x_test)      # the same draws again: the same score
    assert metrics['test/accuracy_paper_posterior'] == paper_accuracy(model.data.test.y, posterior)
    assert metrics['test/accuracy_paper_posterior'] <= many_to_one_accuracy(model.data.test.y, posterior.argmax(axis=1))


def test_posterior_log_odds_are_keyed_and_fit_the_memory_bound(trained, monkeypatch):
    model, _, _ = trained
    first = model.posterior_log_odds(model.x_test, samples=8, key=0)
    assert first.shape == (len(model.x_test), K) and np.isfinite(first).all()
    np.testing.assert_allclose((1 / (1 + np.exp(-first))).sum(axis=1), 1.0, rtol=1e-5)   # q(y|x) sums to 1
    assert not np.allclose(first, model.posterior_log_odds(model.x_test, samples=8, key=1))
    # A bound of 3 images per call: the same shape, and the same numbers each time.
    monkeypatch.setattr('Alg_GMVAE.GMVAE_model.POSTERIOR_BYTES', 3 * 4 * 8 * K * max(K, model.graph.z_dim))
    split = model.posterior_log_odds(model.x_test, samples=8, key=0)
    np.testing.assert_array_equal(split, model.posterior_log_odds(model.x_test, samples=8, key=0))
    assert split.shape == first.shape


def test_results_save_every_figure_with_one_per_cluster(trained):
    model, _, _ = trained
    name = model.paths.name
    expected = {f'{name}_{figure}.png' for figure in
                ['reconstructions', 'samples', 'latent_space', 'losses', 'generated_clusters',
                 'test_images_by_cluster', 'latent_space_clusters', 'cluster_usage', 'interpolations',
                 'cluster_confusion', 'scatter_z', 'scatter_w', 'reconstructions_p_y']
                + [f'generated_cluster_{k}' for k in range(K)]}
    assert set(pngs(model)) == expected


def test_key_figures_are_tensorboard_images(trained):
    model, _, _ = trained
    acc = EventAccumulator(model.paths.summary_dir, size_guidance={'tensors': 0})
    acc.Reload()
    assert {f'figures/{name}' for name in ('reconstructions', 'samples', 'generated_clusters')} <= set(acc.Tags()['tensors'])


def test_projector_has_label_and_cluster_columns(trained):
    model, _, _ = trained
    rows = projector_rows(model)
    assert rows[0] == ['label', 'cluster']
    body = np.array(rows[1:], dtype=int)
    assert len(body) == len(model.x_test)
    np.testing.assert_array_equal(body[:, 0], model.data.test.y)
    np.testing.assert_array_equal(body[:, 1], model.test_clusters)


def test_test_clusters_are_the_argmax_of_the_graph_probabilities(trained):
    model, _, _ = trained
    full = model.test_probabilities
    np.testing.assert_allclose(full.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(full, model.graph.cluster_probabilities(tf.constant(model.x_test)).numpy(),
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(model.test_clusters, full.argmax(axis=1))


def test_restore_gives_identical_cluster_probabilities(trained):
    model, _, tmp_path = trained
    x = tf.constant(model.x_test[:16])
    again = make_model(tmp_path, '--train=0', '--results=1')
    assert again.restore(required=True)
    np.testing.assert_array_equal(again.graph.cluster_probabilities(x).numpy(),
                                  model.graph.cluster_probabilities(x).numpy())
    np.testing.assert_array_equal(again.posterior_log_odds(model.x_test), model.posterior_log_odds(model.x_test))


def test_unlabelled_frey_like_data(tmp_path):
    model = make_model(tmp_path, '--epochs=1', dataset=tiny_dataset((28, 20), labelled=False))
    model.train()
    metrics = model.results(plot=True)
    assert {'test/clusters_in_use', 'test/cluster_confidence', 'test/loss', 'test/kl_y'} <= set(metrics)
    assert not set(CLUSTERING) & set(metrics)
    assert f'{model.paths.name}_generated_cluster_{K - 1}.png' in pngs(model)
    assert f'{model.paths.name}_cluster_confusion.png' not in pngs(model)   # no labels
    assert projector_rows(model)[0] == ['index', 'cluster']
