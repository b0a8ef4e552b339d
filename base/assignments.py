"""A result for every image: the results' table of every image of every split (assignments.csv for a
GMVAE, latents.csv for a VAE) and --predict's table of new images (predictions_<name>.csv).

Each row names the image (its file relative to the folder, or its row index in the source file or
array), its split ('predict' for new images), the model's columns (`image_columns`) and its label
where it has one (the class folder's name, or the integer label).
"""
import csv
import io
import os

from dataclasses import replace

import numpy as np

from base.evaluation import binarize
from utils.errors import DataError
from utils.files import atomic_write_text
from utils.image_sources import load_images
from utils.images import parse_size, resize_array, to_unit

SPLITS = ('train', 'valid', 'test')


class Assignments:
    """BaseModel's per-image tables. Subclasses set `table_name` and give `image_columns(x, split)`: the
    model's columns for the images x (N, H, W, C) of `split`, prepared as its inputs, {name: (N,) values}."""

    table_name = None   # 'assignments.csv' or 'latents.csv'

    def prepared(self, x, split):
        """x as the model takes it: for a Bernoulli model, binarised (by --seed and the split's name)."""
        if not self.bernoulli:
            return x
        return binarize(x, np.random.default_rng([self.config.seed, SPLITS.index(split) if split in SPLITS else 3]))

    def write_table(self):
        """The results' table of every image of every split; returns its path."""
        parts = []
        for split in SPLITS:
            data = getattr(self.data, split)
            x = {'valid': self.x_valid, 'test': self.x_test}.get(split)
            x = self.prepared(data.x, split) if x is None else x
            parts.append((data.ids, split, self.image_columns(x, split), self._labels(data.y, self.data.class_names)))
        path = os.path.join(self.paths.result_dir, self.table_name)
        _write_csv(path, parts)
        return path

    def write_predictions(self, source, images):
        """predictions_<name>.csv for `images` (`images_like_run`) of the folder or .npz file `source`; returns
        its path."""
        name = os.path.basename(os.path.normpath(source))
        name = name[:-len('.npz')] if name.endswith('.npz') else name
        path = os.path.join(self.paths.result_dir, f'predictions_{name}.csv')
        _write_csv(path, [(images.ids, 'predict', self.image_columns(self.prepared(images.x, 'predict'), 'predict'),
                           self._labels(images.y, images.class_names))])
        self.log.info(f"Wrote {path}: {len(images.x)} images of '{source}'.")
        return path

    @staticmethod
    def _labels(y, class_names):
        if y is None:
            return None
        return [class_names[k] for k in y] if class_names else [int(k) for k in y]


def _write_csv(path, parts):
    """One CSV of [(ids, split, {column: values}, labels or None)]: file, split, the columns, label."""
    columns = list(parts[0][2])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(['file', 'split'] + columns + ['label'])
    for ids, split, values, labels in parts:
        for i, image in enumerate(ids):
            label = '' if labels is None else labels[i]
            writer.writerow([image, split] + [_cell(values[c][i]) for c in columns] + [label])
    atomic_write_text(path, out.getvalue())


def _cell(value):
    return f'{value:.6g}' if isinstance(value, (float, np.floating)) else value


def images_like_run(source, image_shape, config, run):
    """The images of the folder or .npz file `source` preprocessed as those of `run` (its flags `config`, its
    images of shape `image_shape` (H, W, C)): `utils.images.Images` with x float32 (N, H, W, C) in [0, 1].

    Resized to --image_size when the run was; a grayscale image goes into a colour run as three equal
    channels. DataError when the sizes or channels cannot be made to match.
    """
    height, width, channels = image_shape
    images = load_images(source, parse_size(config.image_size), config.channels, bool(config.skip_bad_images))
    x = to_unit(images.x)
    if x.shape[1:3] != (height, width):
        raise DataError(f"the images of '{source}' are {x.shape[1]}x{x.shape[2]} pixels and run '{run}' takes "
                        f'{height}x{width}: resize them to {height}x{width}, or train a run with --image_size.')
    if x.shape[3] != channels:
        if channels == 1:
            raise DataError(f"the images of '{source}' are in colour and run '{run}' was trained on grayscale "
                            'images: convert them to grayscale, or train a run with --channels=3.')
        x = resize_array(x, None, channels)
    return replace(images, x=x)
