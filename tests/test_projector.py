"""Tests for utils.projector: files TensorBoard's PROJECTOR tab reads."""
import os

import matplotlib.image
import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import text_format
from tensorboard.plugins import projector

import utils.projector as projector_module
from utils.projector import write_projector


def _data(n=50, d=4, size=8, seed=0):
    rng = np.random.default_rng(seed)
    embeddings = rng.normal(size=(n, d)).astype(np.float32)
    images = rng.uniform(size=(n, size, size)).astype(np.float32)
    metadata = {'label': rng.integers(0, 10, n).tolist(), 'cluster': list(rng.integers(0, 5, n))}
    return embeddings, images, metadata


def _config(log_dir):
    config = projector.ProjectorConfig()
    with open(os.path.join(log_dir, 'projector_config.pbtxt')) as f:
        text_format.Parse(f.read(), config)
    return config


def test_two_columns_files_and_checkpoint(tmp_path):
    embeddings, images, metadata = _data()
    write_projector(str(tmp_path), embeddings, images, metadata, name='latent_mean')

    (embedding,) = _config(tmp_path).embeddings
    assert embedding.tensor_name == 'latent_mean/.ATTRIBUTES/VARIABLE_VALUE'
    for path in (embedding.metadata_path, embedding.sprite.image_path):
        assert os.path.basename(path) == path and (tmp_path / path).is_file()
    assert list(embedding.sprite.single_image_dim) == [8, 8]

    lines = (tmp_path / embedding.metadata_path).read_text().splitlines()
    assert lines[0] == 'label\tcluster' and len(lines) == 51
    assert lines[1] == f"{metadata['label'][0]}\t{metadata['cluster'][0]}"

    sprite = matplotlib.image.imread(tmp_path / embedding.sprite.image_path)
    assert sprite.shape[:2] == (8 * 8, 8 * 8)  # ceil(sqrt(50)) = 8 cells a side
    np.testing.assert_allclose(sprite[:8, :8, 0], images[0], atol=0.5 / 255 + 1e-6)
    np.testing.assert_allclose(sprite[8:16, :8, 0], images[8], atol=0.5 / 255 + 1e-6)  # row-major grid

    reader = tf.train.load_checkpoint(str(tmp_path))
    np.testing.assert_array_equal(reader.get_tensor(embedding.tensor_name), embeddings)


def test_one_column_has_no_header_and_channel_axis_is_accepted(tmp_path):
    embeddings, images, metadata = _data(n=10, size=6)
    write_projector(str(tmp_path), embeddings, images[..., None], {'label': metadata['label']})
    (embedding,) = _config(tmp_path).embeddings
    lines = (tmp_path / embedding.metadata_path).read_text().splitlines()
    assert lines == [str(v) for v in metadata['label']]
    assert matplotlib.image.imread(tmp_path / embedding.sprite.image_path).shape[:2] == (4 * 6, 4 * 6)


def test_without_images_or_metadata(tmp_path):
    embeddings, _, _ = _data()
    write_projector(str(tmp_path / 'new_dir'), embeddings, None, None)
    (embedding,) = _config(tmp_path / 'new_dir').embeddings
    assert not embedding.metadata_path and not embedding.sprite.image_path
    reader = tf.train.load_checkpoint(str(tmp_path / 'new_dir'))
    np.testing.assert_array_equal(reader.get_tensor(embedding.tensor_name), embeddings)


def test_rewrite_replaces_previous_embedding(tmp_path):
    first, images, metadata = _data(seed=1)
    second, _, _ = _data(seed=2)
    write_projector(str(tmp_path), first, images, metadata)
    write_projector(str(tmp_path), second, images, metadata)
    (embedding,) = _config(tmp_path).embeddings
    np.testing.assert_array_equal(tf.train.load_checkpoint(str(tmp_path)).get_tensor(embedding.tensor_name), second)


def test_caps_points_so_sprite_fits(tmp_path, monkeypatch):
    monkeypatch.setattr(projector_module, 'MAX_SPRITE_PX', 32)  # 8x8 images -> 4x4 cells -> 16 points
    embeddings, images, metadata = _data()
    with pytest.warns(UserWarning, match='first 16 of 50'):
        write_projector(str(tmp_path), embeddings, images, metadata)
    (embedding,) = _config(tmp_path).embeddings
    assert len((tmp_path / embedding.metadata_path).read_text().splitlines()) == 1 + 16
    assert matplotlib.image.imread(tmp_path / embedding.sprite.image_path).shape[:2] == (32, 32)
    np.testing.assert_array_equal(tf.train.load_checkpoint(str(tmp_path)).get_tensor(embedding.tensor_name),
                                  embeddings[:16])


@pytest.mark.parametrize('change, message', [
    (lambda e, i, m: (e, i[:-1], m), 'images has 49 items'),
    (lambda e, i, m: (e, i, {**m, 'label': m['label'][:-1]}), "column 'label' has 49 values"),
    (lambda e, i, m: (e[0], i, m), r'shape \(N, D\)'),
    (lambda e, i, m: (e, i[..., None].repeat(2, axis=-1), m), r'\(N, H, W, 1\) or \(N, H, W, 3\)'),
])
def test_mismatch_raises(tmp_path, change, message):
    with pytest.raises(ValueError, match=message):
        write_projector(str(tmp_path), *change(*_data()))


def test_bad_name_raises(tmp_path):
    with pytest.raises(ValueError, match='identifier'):
        write_projector(str(tmp_path), *_data(), name='latent/mean')
