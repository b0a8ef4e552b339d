"""Writer for TensorBoard's PROJECTOR tab: embedding checkpoint, metadata.tsv, sprite.png, projector_config.pbtxt.

One embedding per log_dir: a second call overwrites the first. Give the
projector a folder of its own (e.g. <run>/projector): the checkpoint is found
through the folder's `checkpoint` state file, which a training
CheckpointManager in the same folder would overwrite.
"""
import math
import os
import warnings
from typing import Sequence

import matplotlib.image
import numpy as np
import tensorflow as tf
from tensorboard.plugins import projector

from utils.display_images import as_images

MAX_SPRITE_PX = 8192  # TensorBoard's limit on each side of the sprite image.
CHECKPOINT_NAME = 'embedding.ckpt'
METADATA_NAME = 'metadata.tsv'
SPRITE_NAME = 'sprite.png'


def _tsv_cell(value):
    return str(value).replace('\t', ' ').replace('\r', ' ').replace('\n', ' ')


def _write_metadata(path, metadata):
    """One column: values only. Two or more: a header line of column names, then the rows (TensorBoard's rule)."""
    names = list(metadata)
    lines = ['\t'.join(_tsv_cell(name) for name in names)] if len(names) > 1 else []
    lines += ['\t'.join(_tsv_cell(v) for v in row) for row in zip(*(metadata[name] for name in names))]
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')


def _write_sprite(path, images):
    """images (N, H, W) grey or (N, H, W, 3) colour, in [0, 1] -> one RGB PNG, a square grid of ceil(sqrt(N))
    cells a side, row-major."""
    n, h, w = images.shape[:3]
    images = images.reshape(n, h, w, -1)
    side = math.isqrt(n - 1) + 1  # ceil(sqrt(n)) in exact integer arithmetic
    grid = np.zeros((side * side,) + images.shape[1:], dtype=np.float32)
    grid[:n] = images
    grid = grid.reshape(side, side, h, w, -1).transpose(0, 2, 1, 3, 4).reshape(side * h, side * w, -1)
    rgb = np.round(np.clip(grid, 0.0, 1.0) * 255).astype(np.uint8)
    # Grey as equal uint8 RGB channels: cmap='gray' would pass through a lookup table that shifts grey levels.
    matplotlib.image.imsave(path, np.broadcast_to(rgb, rgb.shape[:2] + (3,)))


def write_projector(log_dir: str, embeddings: np.ndarray, images: np.ndarray | None,
                    metadata: dict[str, Sequence] | None, name: str = 'latent_mean') -> None:
    """Write the N points of `embeddings` (N, D) for TensorBoard's PROJECTOR tab into `log_dir`.

    images: (N, H, W), (N, H, W, 1) (grey) or (N, H, W, 3) (colour) floats in [0, 1], of any H and W,
        shown as point thumbnails, or None.
    metadata: column name -> N values (labels, clusters, ...), or None.
    name: the tensor's name in the projector; checkpoint key '<name>/.ATTRIBUTES/VARIABLE_VALUE'.

    With images, only the first floor(8192 / max(H, W))**2 points are written
    (with a warning when that drops points), so the sprite fits TensorBoard's
    8192 x 8192 px limit. Raises ValueError on inconsistent shapes or lengths.
    """
    embeddings = np.asarray(embeddings, dtype=np.float32)
    if embeddings.ndim != 2 or len(embeddings) == 0:
        raise ValueError(f'embeddings must have shape (N, D) with N > 0, got {embeddings.shape}.')
    n = len(embeddings)
    if not name.isidentifier() or hasattr(tf.train.Checkpoint, name):
        raise ValueError(f'name must be a Python identifier that is not a tf.train.Checkpoint attribute, got {name!r}.')
    metadata = dict(metadata or {})
    for column, values in metadata.items():
        if len(values) != n:
            raise ValueError(f'metadata column {column!r} has {len(values)} values but embeddings has {n} rows.')
    if images is not None:
        images = as_images(images)
        if len(images) != n:
            raise ValueError(f'images has {len(images)} items but embeddings has {n} rows.')
        cells_per_side = MAX_SPRITE_PX // max(images.shape[1:3])
        if cells_per_side == 0:
            raise ValueError(f'images of {images.shape[1]}x{images.shape[2]} px exceed the {MAX_SPRITE_PX} px sprite limit.')
        if n > cells_per_side ** 2:
            n = cells_per_side ** 2
            warnings.warn(f'Projector: keeping the first {n} of {len(embeddings)} points so the sprite fits '
                          f'{MAX_SPRITE_PX}x{MAX_SPRITE_PX} px.')
            embeddings, images = embeddings[:n], images[:n]
            metadata = {column: list(values)[:n] for column, values in metadata.items()}

    os.makedirs(log_dir, exist_ok=True)
    variable = tf.Variable(embeddings, name=name)
    tf.train.Checkpoint(**{name: variable}).save(os.path.join(log_dir, CHECKPOINT_NAME))

    config = projector.ProjectorConfig()
    embedding = config.embeddings.add()
    embedding.tensor_name = f'{name}/.ATTRIBUTES/VARIABLE_VALUE'
    if metadata:
        _write_metadata(os.path.join(log_dir, METADATA_NAME), metadata)
        embedding.metadata_path = METADATA_NAME
    if images is not None:
        _write_sprite(os.path.join(log_dir, SPRITE_NAME), images)
        embedding.sprite.image_path = SPRITE_NAME
        embedding.sprite.single_image_dim.extend([images.shape[2], images.shape[1]])  # (width, height)
    projector.visualize_embeddings(log_dir, config)
