"""Tests for base/base_visualize.py: every figure becomes a readable PNG, saving is atomic."""
import os

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pytest

from base import base_visualize as bv

rng = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def no_open_figures():
    plt.close('all')
    yield
    assert plt.get_fignums() == [], 'a figure was left open'


def read_png(path) -> tuple[int, int]:
    """Check `path` is a non-empty PNG that matplotlib can read; return its (height, width)."""
    assert os.path.isfile(path) and os.path.getsize(path) > 0
    image = mpimg.imread(path)
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    assert min(image.shape[:2]) > 50
    return image.shape[:2]


def images(n, h=28, w=28, channel=False):
    x = rng.random((n, h, w)).astype(np.float32)
    return x[..., None] if channel else x


def only_file_in(folder):
    """The folder holds exactly one entry (so no temporary files were left) and return it."""
    entries = os.listdir(folder)
    assert len(entries) == 1, entries
    return entries[0]


# save_figure

def test_save_figure_creates_folders_returns_path_and_closes(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = str(tmp_path / 'a' / 'b' / 'line.png')
    assert bv.save_figure(fig, path) == path
    read_png(path)
    assert only_file_in(tmp_path / 'a' / 'b') == 'line.png'
    assert not plt.fignum_exists(fig.number)


def test_save_figure_overwrites_existing_file(tmp_path):
    path = str(tmp_path / 'fig.png')
    bv.save_figure(plt.figure(figsize=(2, 2)), path)
    bv.save_figure(plt.figure(figsize=(4, 2)), path)
    height, width = read_png(path)
    assert width > height
    assert only_file_in(tmp_path) == 'fig.png'


def test_save_figure_crash_keeps_old_file_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / 'fig.png'
    path.write_bytes(b'old')
    fig = plt.figure()

    def crash(f, **kwargs):
        f.write(b'half a png')
        raise RuntimeError('disk on fire')

    fig.savefig = crash
    with pytest.raises(RuntimeError):
        bv.save_figure(fig, str(path))
    assert path.read_bytes() == b'old'
    assert only_file_in(tmp_path) == 'fig.png'


# image_grid

@pytest.mark.parametrize('h, w', [(28, 28), (28, 20)])
@pytest.mark.parametrize('channel', [False, True])
def test_image_grid_shapes(tmp_path, h, w, channel):
    path = bv.save_figure(bv.image_grid(images(9, h, w, channel), title='grid'), str(tmp_path / 'g.png'))
    height, width = read_png(path)
    if w < h:  # 3x3 grid of tall images
        assert height > 1.2 * width


def test_image_grid_layout_and_row_titles(tmp_path):
    fig = bv.image_grid(images(7), nrows=2, title='two rows', row_titles=['first', 'second'])
    assert len(fig.axes) == 8  # 2 x 4, the last cell empty
    height, width = read_png(bv.save_figure(fig, str(tmp_path / 'g.png')))
    assert width > 1.5 * height
    fig = bv.image_grid(images(1), ncols=3)
    assert len(fig.axes) == 3
    plt.close(fig)


@pytest.mark.parametrize('kwargs', [dict(nrows=2, ncols=2), dict(nrows=3, row_titles=['only one'])])
def test_image_grid_rejects_bad_layout(kwargs):
    with pytest.raises(ValueError):
        bv.image_grid(images(5), **kwargs)


@pytest.mark.parametrize('shape', [(5, 28), (5, 28, 28, 2), (0, 28, 28)])
def test_image_grid_rejects_bad_shapes(shape):
    with pytest.raises(ValueError):
        bv.image_grid(np.zeros(shape))


# reconstruction_figure

def test_reconstruction_figure_single_pair(tmp_path):
    x = images(8, channel=True)
    fig = bv.reconstruction_figure(x, 1 - x)
    assert [ax.get_ylabel() for ax in fig.axes[::8]] == ['input', 'reconstruction']
    height, width = read_png(bv.save_figure(fig, str(tmp_path / 'r.png')))
    assert width > 3 * height


def test_reconstruction_figure_several_pairs(tmp_path):
    x = images(25, 28, 20)
    fig = bv.reconstruction_figure(x, x / 2)
    labels = [ax.get_ylabel() for ax in fig.axes[::10]]
    assert [label for label in labels if label] == ['input', 'reconstruction'] * 3
    read_png(bv.save_figure(fig, str(tmp_path / 'r.png')))


def test_reconstruction_figure_rejects_mismatch():
    with pytest.raises(ValueError):
        bv.reconstruction_figure(images(4), images(5))


# latent_scatter

@pytest.mark.parametrize('categories', [None, 3, 10, 16, 50])
def test_latent_scatter(tmp_path, categories):
    points = rng.normal(size=(300, 2))
    colours = None if categories is None else np.arange(300) % categories
    fig = bv.latent_scatter(points, colours, title='z', colour_label='cluster', method_note='t-SNE')
    ax = fig.axes[0]
    assert ax.get_xlabel() == 'dimension 1 (t-SNE)' and ax.get_ylabel() == 'dimension 2 (t-SNE)'
    assert ax.get_title() == 'z'
    has_colorbar = len(fig.axes) == 2
    assert has_colorbar == (categories is not None and categories > 10)
    assert (ax.get_legend() is not None) == (categories is not None and categories <= 10)
    read_png(bv.save_figure(fig, str(tmp_path / 's.png')))


def test_latent_scatter_rejects_bad_input():
    with pytest.raises(ValueError):
        bv.latent_scatter(np.zeros((10, 3)))
    with pytest.raises(ValueError):
        bv.latent_scatter(np.zeros((10, 2)), np.zeros(9))


# project_to_2d

@pytest.mark.parametrize('method', ['auto', 'tsne', 'pca'])
@pytest.mark.parametrize('dim, expected', [(1, 'zero-padded'), (2, 'identity'), (5, None)])
def test_project_to_2d(method, dim, expected):
    z = rng.normal(size=(60, dim))
    points, indices, name = bv.project_to_2d(z, method=method)
    assert points.shape == (60, 2)
    np.testing.assert_array_equal(indices, np.arange(60))
    assert name == (expected or {'auto': 't-SNE', 'tsne': 't-SNE', 'pca': 'PCA'}[method])
    assert np.all(np.isfinite(points))
    if dim == 1:
        np.testing.assert_array_equal(points, np.hstack([z, np.zeros_like(z)]))
    if dim == 2:
        np.testing.assert_array_equal(points, z)


@pytest.mark.parametrize('dim, method', [(2, 'auto'), (5, 'pca'), (5, 'tsne')])
def test_project_to_2d_subsamples_with_seed(dim, method):
    z = rng.normal(size=(250, dim))
    points, indices, _ = bv.project_to_2d(z, method=method, seed=3, max_points=80)
    assert points.shape == (80, 2) and indices.shape == (80,)
    assert len(np.unique(indices)) == 80 and np.all(np.diff(indices) > 0)
    assert indices.min() >= 0 and indices.max() < 250
    if dim == 2:
        np.testing.assert_array_equal(points, z[indices])
    again, same_indices, _ = bv.project_to_2d(z, method=method, seed=3, max_points=80)
    np.testing.assert_array_equal(indices, same_indices)
    np.testing.assert_allclose(points, again)


def test_project_to_2d_rejects_bad_input():
    with pytest.raises(ValueError):
        bv.project_to_2d(np.zeros((10, 3)), method='umap')
    with pytest.raises(ValueError):
        bv.project_to_2d(np.zeros(10))


# loss_curves and bar_chart

@pytest.mark.parametrize('epochs', [1, 3])
def test_loss_curves(tmp_path, epochs):
    history = {f'{split}/{term}': list(rng.random(epochs))
               for split in ('train', 'valid') for term in ('loss', 'reconstruction', 'kl_z')}
    fig = bv.loss_curves(history)
    assert [ax.get_title() for ax in fig.axes] == ['loss', 'reconstruction', 'kl_z']
    for ax in fig.axes:
        assert ax.get_xlabel() == 'epoch' and ax.get_ylabel() == 'nats'
        assert [line.get_label() for line in ax.get_lines()] == ['train', 'valid']
        assert ax.get_lines()[0].get_marker() == 'o'
        assert all(tick == int(tick) for tick in ax.get_xticks() if 0.5 <= tick <= epochs + 0.5)
    height, width = read_png(bv.save_figure(fig, str(tmp_path / 'l.png')))
    assert width > 2 * height


def test_loss_curves_uneven_history(tmp_path):
    fig = bv.loss_curves({'train/loss': [3.0, 2.0, 1.5, 1.2], 'valid/loss': [3.1, 2.2], 'lr': [1e-3] * 4,
                          'train/kl_y': [0.1] * 4})
    assert [ax.get_title() for ax in fig.axes] == ['loss', 'lr', 'kl_y']
    assert [line.get_label() for line in fig.axes[1].get_lines()] == ['lr']
    read_png(bv.save_figure(fig, str(tmp_path / 'l.png')))


def test_loss_curves_rejects_empty_history():
    with pytest.raises(ValueError):
        bv.loss_curves({})


@pytest.mark.parametrize('k', [5, 40])
def test_bar_chart(tmp_path, k):
    fig = bv.bar_chart(rng.integers(0, 100, k), [f'c{i}' for i in range(k)], 'Cluster usage', 'cluster', 'points')
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ('Cluster usage', 'cluster', 'points')
    height, width = read_png(bv.save_figure(fig, str(tmp_path / 'b.png')))
    assert width > height


def test_bar_chart_rejects_label_mismatch():
    with pytest.raises(ValueError):
        bv.bar_chart([1, 2, 3], ['a', 'b'], 't', 'x', 'y')


# BaseVisualize

def test_base_visualize_writes_every_figure(tmp_path):
    vis = bv.BaseVisualize(str(tmp_path / 'results'), 'vae')
    assert vis.path('samples') == str(tmp_path / 'results' / 'vae_samples.png')
    x = images(12, channel=True)
    z = rng.normal(size=(90, 4))
    paths = [
        vis.reconstructions(x, x),
        vis.samples(images(16)),
        vis.latent_space(z, labels=np.arange(90) % 3),
        vis.latent_space(z[:, :1], name='latent_1d', method='pca'),
        vis.latent_space(z[:, :2], labels=np.arange(90) % 12, name='latent_clusters', colour_label='cluster'),
        vis.losses({'train/loss': [2.0, 1.0], 'valid/loss': [2.5, 1.5]}),
        vis.save(bv.bar_chart([3, 1], ['a', 'b'], 'usage', 'cluster', 'count'), 'usage'),
    ]
    names = ['reconstructions', 'samples', 'latent_space', 'latent_1d', 'latent_clusters', 'losses', 'usage']
    assert paths == [vis.path(name) for name in names]
    for path in paths:
        read_png(path)
    assert sorted(os.listdir(tmp_path / 'results')) == sorted(f'vae_{name}.png' for name in names)


def test_project_to_2d_of_identical_codes_does_not_crash():
    """A collapsed posterior gives every image the same code; sklearn's t-SNE crashed (SIGSEGV) on it."""
    points, indices, name = bv.project_to_2d(np.full((50, 8), 0.3))
    assert name == 'constant' and points.shape == (50, 2) and np.all(points == 0) and len(indices) == 50
