"""The result figures added to the shared ones: interpolations, the z_dim == 2 manifold, the GMVAE's
cluster-against-label confusion matrix, and the key figures as TensorBoard images."""
import os

import matplotlib.pyplot as plt
import numpy as np
import pytest
import tensorflow as tf
from scipy.stats import norm

from Alg_GMVAE import GMVAE_visualize
from Alg_GMVAE.GMVAE_visualize import GMVAEVisualize
from Alg_VAE.VAE_visualize import VAEVisualize, latent_grid
from base import base_visualize as bv
from tests.test_main import event_tags
from tests.test_model import make_model
from tests.test_visualize import read_png


@pytest.fixture(autouse=True)
def no_open_figures():
    plt.close('all')
    yield
    assert plt.get_fignums() == [], 'a figure was left open'


def test_latent_grid_covers_the_gaussian_quantiles_like_a_plot():
    z = latent_grid(4).reshape(4, 4, 2)
    quantiles = norm.ppf([0.125, 0.375, 0.625, 0.875])
    np.testing.assert_allclose(z[0, :, 0], quantiles, rtol=1e-6)         # z_1 grows along a row
    np.testing.assert_allclose(z[:, 0, 1], quantiles[::-1], rtol=1e-6)   # z_2 falls down a column


def test_interpolation_and_manifold_figures(tmp_path):
    vis = VAEVisualize(str(tmp_path), 'run')
    path = vis.interpolations(np.random.default_rng(0).random((3, 10, 28, 20, 1)))
    assert path == str(tmp_path / 'run_interpolations.png')
    height, width = read_png(path)
    assert width > 2 * height
    read_png(vis.manifold(np.random.default_rng(1).random((25, 28, 20)), 5))


def test_count_matrix_and_cluster_confusion(tmp_path, monkeypatch):
    read_png(bv.save_figure(bv.count_matrix(np.arange(6).reshape(2, 3), 'ab', 'xyz', 't', 'x', 'y'),
                            str(tmp_path / 'm.png')))
    with pytest.raises(ValueError, match='column labels'):
        bv.count_matrix(np.zeros((2, 3)), 'ab', 'xy', 't', 'x', 'y')

    drawn = {}
    monkeypatch.setattr(GMVAE_visualize, 'count_matrix',
                        lambda counts, rows, cols, *text: drawn.update(counts=counts, cols=list(cols), text=text)
                        or plt.figure())
    path = GMVAEVisualize(str(tmp_path), 'run').cluster_confusion([0, 0, 2, 2, 2], [7, 3, 3, 3, 7], K=3)
    assert path.endswith('run_cluster_confusion.png') and os.path.exists(path)
    np.testing.assert_array_equal(drawn['counts'], [[1, 1], [0, 0], [2, 1]])   # clusters x labels 3, 7
    assert drawn['cols'] == [3, 7] and drawn['text'][1:] == ('true label', 'assigned cluster')
    with pytest.raises(ValueError, match='assignments'):
        GMVAEVisualize(str(tmp_path), 'run').cluster_confusion([0, 1], [0], K=2)


def test_interpolations_end_at_the_reconstructions(tmp_path):
    model, _ = make_model(tmp_path, '--summary=0')
    x = model.x_test[:6]
    paths = model.interpolations(model.predict(model.graph.latent_mean, x), steps=5)
    assert paths.shape == (3, 5) + x.shape[1:]
    reconstructions = model.predict(model.graph.reconstruct, x)
    np.testing.assert_allclose(paths[:, 0], reconstructions[0::2], atol=1e-6)
    np.testing.assert_allclose(paths[:, -1], reconstructions[1::2], atol=1e-6)


@pytest.mark.parametrize('z_dim', [2, 3])
def test_results_draw_the_new_figures_and_log_images_to_tensorboard(tmp_path, z_dim):
    model, _ = make_model(tmp_path, f'--z_dim={z_dim}', '--epochs=1', '--iw_samples=5')
    model.train()
    model.results(plot=True)
    pngs = set(os.listdir(model.paths.result_dir))
    assert f'{model.paths.name}_interpolations.png' in pngs
    assert (f'{model.paths.name}_manifold.png' in pngs) == (z_dim == 2)
    model.flush_summaries()
    acc = event_tags(model.paths.summary_dir)
    assert {'figures/reconstructions', 'figures/samples'} <= set(acc.Tags()['tensors'])
    image = acc.Tensors('figures/samples')[-1]
    assert image.step == 1
    assert tf.image.decode_png(tf.make_ndarray(image.tensor_proto)[2]).shape[-1] == 4   # width, height, PNG
