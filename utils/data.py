"""MNIST, the Frey faces and a user's own images as float32 images in [0, 1], split into train /
valid / test.

A user's images (a folder or an .npz array file) are read by utils/image_sources.py and split by
utils/splits.py. For MNIST and FREY, each loader reads its files from `data_dir`. A missing file is downloaded from the public source
(when `download` is true) into a temporary file, checked, then renamed into place, so a failed
download never leaves a partial file. Every file's content is validated before use, and every
problem, with a file or with a download, raises `DataError` with one sentence saying what is wrong
and where to put the right file.

`checksums` maps file name -> expected sha256. The defaults are the checksums of the published
files; a file not named in `checksums` (any file, when it is empty or None) is not verified.
"""
import gzip
import hashlib
import http.client
import io
import os
import tempfile
import urllib.request
import zlib
from dataclasses import dataclass, replace

import numpy as np
import scipy.io

from utils.errors import DataError
from utils.image_sources import load_images, source_of
from utils.images import MIN_SIDE, resize_array, to_unit
from utils.splits import MIN_IMAGES, fixed_split, read_record, recorded_split


@dataclass(frozen=True)
class Split:
    x: np.ndarray            # (N, H, W, C) float32 in [0, 1]
    y: np.ndarray | None     # (N,) int64 labels, or None when the dataset has no labels (FREY)
    ids: tuple = ()          # each image's file (relative to the folder) or its row index in its source file


@dataclass(frozen=True)
class Dataset:
    name: str                # 'MNIST', 'FREY', or the name of a user's folder or array file
    train: Split
    valid: Split
    test: Split
    class_names: tuple | None = None   # label k is class_names[k] (a user's class folders)
    source: str | None = None          # the folder or array file of a user's images
    notes: tuple = ()                  # sentences for the log: conversions, files ignored or skipped, changes
    skipped: tuple = ()                # bad files left out by --skip_bad_images=1, as 'file: reason'
    record: tuple = ()                 # (ids, fingerprints, (train, valid, test) indices): the split to record

    @property
    def image_shape(self):
        """(H, W, C): (28, 28, 1) for MNIST, (28, 20, 1) for FREY."""
        return tuple(int(d) for d in self.train.x.shape[1:])

    @property
    def has_labels(self):
        return self.train.y is not None


DATASETS = ('MNIST', 'FREY')
MNIST_FILES = {
    'train-images-idx3-ubyte.gz': '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609',
    'train-labels-idx1-ubyte.gz': '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c',
    't10k-images-idx3-ubyte.gz': '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6',
    't10k-labels-idx1-ubyte.gz': 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6',
}
FREY_FILES = {'frey_rawface.mat': '265a83a23adb081755cd3de375509828e690324d1d60f076b8ecebc840d59c64'}
ALL_CHECKSUMS = {**MNIST_FILES, **FREY_FILES}
MNIST_SOURCES = ('http://yann.lecun.com/exdb/mnist/', 'https://storage.googleapis.com/cvdf-datasets/mnist/')
FREY_SOURCES = ('https://cs.nyu.edu/~roweis/data/',)
MNIST_VALID = 5000      # validation = the first MNIST_VALID images of the training file, as TF1's input_data did
DOWNLOAD_TIMEOUT_S = 20


def load_dataset(name, data_dir, *, download=True, checksums=ALL_CHECKSUMS, image_size=None, channels=None,
                 skip_bad_images=False, split_record=None, progress=True):
    """The dataset `name` from `data_dir`: MNIST or FREY with their standard splits, else a user's images
    (the folder DIR/NAME or the array file DIR/NAME.npz, utils/image_sources.py) split 80/10/10.

    `image_size` (H, W) resizes every image and `channels` (1 or 3) sets the channel count. A user's
    split is the one recorded in the file `split_record` where it exists (utils/splits.py), else drawn.
    """
    if name == 'MNIST':
        dataset = load_mnist(data_dir, download=download, checksums=checksums)
    elif name == 'FREY':
        dataset = load_frey(data_dir, download=download, checksums=checksums)
    else:
        return load_own(name, data_dir, image_size=image_size, channels=channels, skip_bad_images=skip_bad_images,
                        split_record=split_record, progress=progress)
    if not (image_size or channels):
        return dataset
    return replace(dataset, **{part: replace(split, x=resize_array(split.x, image_size, channels))
                               for part, split in (('train', dataset.train), ('valid', dataset.valid),
                                                   ('test', dataset.test))})


def load_own(name, data_dir, *, image_size=None, channels=None, skip_bad_images=False, split_record=None,
             progress=True):
    """A user's images as a Dataset (see load_dataset), float32 in [0, 1]."""
    source = source_of(data_dir, name)
    images = load_images(source, image_size, channels, skip_bad_images, progress)
    height, width = images.x.shape[1:3]
    if min(height, width) < MIN_SIDE:
        raise DataError(f"the images of '{source}' are {height}x{width} pixels, smaller than the networks' "
                        f'{MIN_SIDE}x{MIN_SIDE}: give --image_size=HxW with sides of at least {MIN_SIDE}.')
    if len(images.x) < MIN_IMAGES:
        raise DataError(f"'{source}' holds {len(images.x)} usable images, too few for a train / validation / test "
                        f'split of 80/10/10: it needs at least {MIN_IMAGES}.')
    notes = images.notes
    if split_record and os.path.exists(split_record):
        splits, change = recorded_split(read_record(split_record), images.ids, images.fingerprints, source)
        notes += (change,) if change else ()
    else:
        splits = fixed_split(len(images.x))
    x = to_unit(images.x)
    parts = [Split(x[i], None if images.y is None else images.y[i], tuple(images.ids[j] for j in i)) for i in splits]
    return Dataset(name, *parts, class_names=images.class_names, source=source, notes=notes,
                   skipped=images.skipped, record=(images.ids, images.fingerprints, splits))


def load_mnist(data_dir, *, download=True, checksums=MNIST_FILES, n_valid=MNIST_VALID):
    """MNIST: x (N, 28, 28, 1) float32 in [0, 1], y (N,) int64 in 0..9.

    valid = the first `n_valid` images of the training file, train = the rest (55,000 by default),
    test = the 10,000 t10k images. No shuffling.
    """
    train = _mnist_split('train', data_dir, download, checksums)
    test = _mnist_split('t10k', data_dir, download, checksums)
    if not 0 < n_valid < len(train.x):
        raise _replace(os.path.join(data_dir, 'train-images-idx3-ubyte.gz'),
                       f'holds {len(train.x)} images, too few to keep {n_valid} for validation', MNIST_SOURCES[0])
    valid = Split(train.x[:n_valid], train.y[:n_valid], train.ids[:n_valid])
    return Dataset('MNIST', Split(train.x[n_valid:], train.y[n_valid:], train.ids[n_valid:]), valid, test)


def load_frey(data_dir, *, download=True, checksums=FREY_FILES):
    """Frey faces: x (N, 28, 20, 1) float32 in [0, 1] (1965 images in all), y None.

    utils.splits.fixed_split: permuted with a fixed seed, whatever the training seed, then split
    int(0.8 N) / int(0.1 N) / rest (1572 / 196 / 197).
    """
    name = 'frey_rawface.mat'
    path, source = os.path.join(data_dir, name), FREY_SOURCES[0]
    data = _read('FREY', name, data_dir, download, checksums, FREY_SOURCES)
    try:
        ff = scipy.io.loadmat(io.BytesIO(data)).get('ff')
    except Exception as err:  # scipy raises many kinds of errors on a damaged file
        raise _replace(path, f'is not a readable MATLAB file ({err})', source) from err
    if not (isinstance(ff, np.ndarray) and ff.dtype == np.uint8 and ff.ndim == 2 and ff.shape[0] == 28 * 20
            and ff.shape[1] >= 10):
        raise _replace(path, "has no uint8 variable 'ff' of shape (560, N) with N >= 10", source)
    x = to_unit(ff.T.reshape(-1, 28, 20, 1))
    return Dataset('FREY', *(Split(x[i], None, tuple(str(j) for j in i)) for i in fixed_split(len(x))))


def _mnist_split(prefix, data_dir, download, checksums):
    """The images and labels of the `prefix` ('train' or 't10k') files, checked against each other."""
    source = MNIST_SOURCES[0]
    images_name, labels_name = f'{prefix}-images-idx3-ubyte.gz', f'{prefix}-labels-idx1-ubyte.gz'
    images_path, labels_path = os.path.join(data_dir, images_name), os.path.join(data_dir, labels_name)
    images_data = _read('MNIST', images_name, data_dir, download, checksums, MNIST_SOURCES)
    labels_data = _read('MNIST', labels_name, data_dir, download, checksums, MNIST_SOURCES)
    images = _parse_idx(images_data, 0x803, 3, images_path, source)
    labels = _parse_idx(labels_data, 0x801, 1, labels_path, source)
    if images.shape[1:] != (28, 28):
        raise _replace(images_path, f'holds images of {images.shape[1]}x{images.shape[2]} pixels, not 28x28', source)
    if len(images) != len(labels):
        raise _replace(labels_path, f'holds {len(labels)} labels for the {len(images)} images of {images_name}',
                       source)
    if labels.size and labels.max() > 9:
        raise _replace(labels_path, f'holds the label {labels.max()}, outside 0..9', source)
    return Split(to_unit(images[..., None]), labels.astype(np.int64), tuple(str(i) for i in range(len(images))))




def _replace(path, problem, source):
    """The DataError for a present file that is unusable."""
    return DataError(f"'{path}' {problem}: replace it with the original from {source}.")


def _fetch(url, dest_path):
    """Download `url` into the file `dest_path`; raises OSError (or http.client.HTTPException) on failure."""
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response, open(dest_path, 'wb') as out:
        out.write(response.read())


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _read(dataset, name, data_dir, download, checksums, sources):
    """The bytes of `data_dir`/`name`, downloaded from `sources` first when missing, checksum verified."""
    path = os.path.join(data_dir, name)
    expected = (checksums or {}).get(name)
    if not os.path.exists(path):
        _ensure_dir(dataset, data_dir, download, sources[0])
        if not download:
            raise DataError(f"{dataset} file '{name}' is missing from '{data_dir}': copy it there from {sources[0]}.")
        _download(dataset, name, data_dir, expected, sources)
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as err:
        raise _replace(path, f'cannot be read ({err.strerror})', sources[0]) from err
    if not data:
        raise _replace(path, 'is empty', sources[0])
    if expected and _sha256(data) != expected:
        raise _replace(path, 'has the wrong checksum (corrupt or truncated?)', sources[0])
    return data


def _ensure_dir(dataset, data_dir, download, source):
    """Make sure `data_dir` is a folder, creating it only when we may download into it."""
    if os.path.isdir(data_dir):
        return
    if download and not os.path.exists(data_dir):
        try:
            os.makedirs(data_dir)
            return
        except OSError as err:
            raise DataError(f"the data folder '{data_dir}' does not exist and cannot be created ({err.strerror}): "
                            f'create it and copy the {dataset} files into it from {source}.') from err
    problem = 'is not a folder' if os.path.exists(data_dir) else 'does not exist'
    raise DataError(f"the data folder '{data_dir}' {problem}: create it and copy the {dataset} files into it "
                    f'from {source}.')


def _download(dataset, name, data_dir, expected, sources):
    """Fetch `name` from the first source that gives it (with the `expected` sha256 if given) into `data_dir`."""
    reason = None
    for source in sources:
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=f'.{name}.', suffix='.part')
            os.close(fd)
            _fetch(source + name, tmp)
            with open(tmp, 'rb') as f:
                ok = not expected or _sha256(f.read()) == expected
            if ok:
                os.replace(tmp, os.path.join(data_dir, name))
                return
            reason = f'the download from {source} had the wrong checksum'
        except (OSError, http.client.HTTPException) as err:
            reason = str(err) or type(err).__name__
        finally:
            if tmp and os.path.exists(tmp):
                os.remove(tmp)
    raise DataError(f"{dataset} file '{name}' is missing from '{data_dir}' and could not be downloaded ({reason}): "
                    f'copy it there from {sources[0]}.')


def _parse_idx(data, magic, ndim, path, source):
    """The uint8 array of the gzip-compressed IDX file `data` (read from `path`), checked against its header."""
    try:
        raw = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise _replace(path, f'is not a complete gzip file ({err})', source) from err
    header = 4 * (1 + ndim)
    if len(raw) < header or int.from_bytes(raw[:4], 'big') != magic:
        raise _replace(path, f'does not start with the IDX magic number 0x{magic:08x} (wrong or damaged file?)', source)
    shape = tuple(int(d) for d in np.frombuffer(raw, '>u4', ndim, offset=4))
    size = int(np.prod(shape))
    if len(raw) - header != size:
        raise _replace(path, f'holds {len(raw) - header} bytes of data where its header announces {size} (truncated?)',
                       source)
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape)
