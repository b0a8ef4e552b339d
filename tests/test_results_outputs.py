"""What a results run gives: every figure with --results=1 alone, --plot=1 showing them (or one line saying
it cannot), the original's GMVAE figures, and the IWAE budget stated in metrics.json."""
import json
import logging
import os

import matplotlib.pyplot as plt
import numpy as np
import pytest

from base import base_visualize as bv
from tests import test_gmvae_model, test_model


def pngs(model):
    return sorted(f for f in os.listdir(model.paths.result_dir) if f.endswith('.png'))


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.fixture(scope='module')
def model(tmp_path_factory):
    """A VAE trained one epoch, whose results each test asks for again (with 7 importance samples)."""
    vae, _ = test_model.make_model(tmp_path_factory.mktemp('vae'), '--iw_samples=7', '--epochs=1')
    vae.train()
    return vae


@pytest.fixture
def lines(model):
    """What the trained model logs during the test."""
    handler = Lines()
    model.log.addHandler(handler)
    model.log.setLevel(logging.INFO)
    yield handler.lines
    model.log.removeHandler(handler)


def test_results_alone_write_metrics_and_every_figure(model, lines, monkeypatch):
    monkeypatch.delenv('DISPLAY', raising=False)
    model.results(plot=False)
    assert os.path.exists(os.path.join(model.paths.result_dir, 'metrics.json'))
    names = pngs(model)
    for figure in ('reconstructions', 'samples', 'latent_space', 'losses', 'interpolations', 'manifold'):
        assert f'{model.paths.name}_{figure}.png' in names
    assert not any('--plot' in line for line in lines)


def test_plot_without_a_display_says_so_in_one_line(model, lines, monkeypatch):
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    monkeypatch.setattr(bv.sys, 'platform', 'linux')
    model.results(plot=True)
    said = [line for line in lines if '--plot=1' in line]
    assert len(said) == 1 and 'no display' in said[0] and model.paths.result_dir in said[0]
    assert pngs(model)


def test_plot_shows_every_saved_figure_where_a_display_exists(model, lines, monkeypatch):
    monkeypatch.setattr(bv, 'display_problem', lambda: None)
    shown = []
    monkeypatch.setattr(plt, 'show', lambda: shown.extend(plt.get_fignums()))
    model.results(plot=True)
    assert len(shown) == len(pngs(model)) and not any('--plot=1' in line for line in lines)
    assert plt.get_fignums() == [] and plt.get_backend().lower() == 'agg'


def test_iwae_budget_is_stated_in_metrics(model):
    model.results(plot=False)
    metrics = json.load(open(os.path.join(model.paths.result_dir, 'metrics.json')))
    assert metrics['test/iw_samples'] == 7 and metrics['test/iw_images'] == len(model.x_test)
    assert metrics['test/iw_image_spacing'] == 1.0


def test_gmvae_results_add_the_originals_figures(tmp_path, monkeypatch):
    drawn = {}
    from Alg_GMVAE import GMVAE_visualize
    figure = GMVAE_visualize.reconstruction_cluster_figure

    def recording(x, x_rec, probabilities, title='Image Reconstruction'):
        drawn.update(n=len(x), probabilities=probabilities, title=title)
        return figure(x, x_rec, probabilities, title)

    monkeypatch.setattr(GMVAE_visualize, 'reconstruction_cluster_figure', recording)
    model = test_gmvae_model.make_model(tmp_path, '--iw_samples=0', '--epochs=1', '--z_dim=3')
    model.train()
    model.results(plot=False)
    name = model.paths.name
    for figure_name in ('reconstructions_p_y', 'scatter_z', 'scatter_w'):
        assert f'{name}_{figure_name}.png' in pngs(model)
    assert drawn['title'] == 'Image Reconstruction' and drawn['n'] == 6
    assert drawn['probabilities'].shape == (6, test_gmvae_model.K)


def test_scatter_titles_and_projection(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(bv, 'latent_scatter', lambda points, colours, title, label, note:
                        seen.append((points, title, note)) or plt.figure())
    vis = bv.BaseVisualize(str(tmp_path), 'run')
    z2 = np.random.default_rng(0).normal(size=(30, 2))
    vis.scatter(z2, np.arange(30) % 3, symbol='w')
    vis.scatter(np.random.default_rng(1).normal(size=(30, 5)), symbol='z')
    (points, title, note), (_, title5, note5) = seen
    np.testing.assert_array_equal(points, z2)              # raw when 2-D
    assert (title, note) == ('Scatter Plot of w', '') and (title5, note5) == ('Scatter Plot of z', 'PCA')


def test_default_iwae_budget_takes_a_subset_for_the_cnns_only(tmp_path, monkeypatch):
    from Alg_VAE.VAE_graph import VAEGraph
    from base import results
    monkeypatch.setattr(results, 'CNN_IW_IMAGES', 10)
    dense, _ = test_model.make_model(tmp_path)
    assert dense.iwae_images() == len(dense.x_test)
    monkeypatch.setattr(VAEGraph, 'network', 'cnn')
    assert dense.iwae_images() == 10
    assert test_model.make_model(tmp_path, '--iw_images=0')[0].iwae_images() == len(dense.x_test)
    assert test_model.make_model(tmp_path, '--iw_images=25')[0].iwae_images() == 25


def test_iwae_subset_is_spread_over_the_test_set(tmp_path):
    """A subset spans the whole (ordered) test set, not its first images: first and last included, no repeats."""
    model = test_model.make_model(tmp_path, '--iw_images=7')[0]
    indices = model.iwae_indices()
    assert len(indices) == 7 and indices[0] == 0 and indices[-1] == len(model.x_test) - 1
    assert np.all(np.diff(indices) > 0)
    assert np.array_equal(test_model.make_model(tmp_path, '--iw_images=0')[0].iwae_indices(),
                          np.arange(len(model.x_test)))
