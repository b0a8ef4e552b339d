"""Loading a user's own images (utils/images.py) from a folder or an array file, with a cache of the
decoded folder and an up-front memory check.

The cache holds a folder's decoded images in one .npz file, keyed by every image file's relative
path, size and modification time and by the decoding options (--image_size, --channels): a file
added, removed, edited or touched changes the key, so the cache is never stale. It lives in
`cache_dir()` (VAE_GMVAE_CACHE_DIR, else $XDG_CACHE_HOME/vae_gmvae, else ~/.cache/vae_gmvae); one
file per folder is kept. Array files are read directly: they load as fast as a cache.
"""
import glob
import hashlib
import os
import tempfile
import time

import numpy as np
from PIL import Image

from utils import images as im
from utils.errors import DataError
from utils.machine import physical_memory

CACHE_VERSION = 1


def cache_dir():
    """Where decoded folders are cached."""
    if os.environ.get('VAE_GMVAE_CACHE_DIR'):
        return os.environ['VAE_GMVAE_CACHE_DIR']
    return os.path.join(os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'vae_gmvae')


def source_of(data_dir, name):
    """The folder DIR/NAME or the array file DIR/NAME.npz (the folder first); DataError when neither exists."""
    folder, array = os.path.join(data_dir, name), os.path.join(data_dir, name + '.npz')
    if os.path.isdir(folder):
        return folder
    if os.path.isfile(array):
        return array
    raise DataError(f"there is neither a folder '{folder}' nor an array file '{array}': put your images in one of "
                    'them (README "Your own images"), or choose --dataset_name=MNIST or FREY.')


def load_images(path, size=None, channels=None, skip_bad=False, progress=True, available=None):
    """The images of the folder or .npz file `path` as `utils.images.Images`, resized to `size` (H, W) and
    with `channels` channels when given. Bad files raise DataError unless `skip_bad`."""
    if os.path.isdir(path):
        return _folder(path, size, channels, skip_bad, progress, available)
    if not os.path.exists(path):
        raise DataError(f"'{path}' does not exist: give a folder of images or an .npz array file.")
    if not path.endswith('.npz'):
        raise DataError(f"'{path}' is neither a folder of images nor an .npz array file.")
    x, y = im.load_array_file(path)
    fingerprints = im.row_fingerprints(x)
    x = im.resize_array(x, size, channels)
    if channels is None and x.shape[3] == 3 and np.all(x[..., :1] == x):
        x = x[..., :1]
    return im.Images(x, tuple(str(i) for i in range(len(x))), fingerprints, y, None)


def _folder(root, size, channels, skip_bad, progress, available):
    files, others = im.scan_folder(root)
    notes = []
    if others:
        more = ', ...' if len(others) > im.BAD_NAMED else ''
        notes.append(f"Ignored {len(others)} files of '{root}' that are not PNG, JPEG, BMP or GIF files by their "
                     f"extension: {', '.join(others[:im.BAD_NAMED])}{more}.")
    if not files:
        other = f' (only {len(others)} other files, such as {others[0]!r})' if others else ''
        raise DataError(f"the folder '{root}' holds no image files (PNG, JPEG, BMP or GIF){other}.")
    key = _cache_key(root, files, size, channels)
    cache_file = _cache_file(root, key)
    decoded = _read_cache(cache_file)
    if decoded is not None:
        notes.append(f"Loaded the {len(decoded['ids'])} decoded images of '{root}' from the cache '{cache_file}'.")
    else:
        _check_memory(root, files, size, available)
        start = time.time()
        decoded = _decode(root, files, size, channels, progress)
        notes.append(_write_cache(cache_file, decoded, time.time() - start))
    bad = [f'{f}: {r}' for f, r in zip(decoded['bad_files'], decoded['bad_reasons'])]
    if bad and not skip_bad:
        more = f' and {len(bad) - im.BAD_NAMED} more' if len(bad) > im.BAD_NAMED else ''
        raise DataError(f"{len(bad)} files of '{root}' cannot be used as images ({'; '.join(bad[:im.BAD_NAMED])}"
                        f'{more}): replace or remove them, or give --skip_bad_images=1 to leave them out.')
    if bad:
        notes.append(f"--skip_bad_images=1: left out {len(bad)} files of '{root}' that cannot be used as images: "
                     + '; '.join(bad[:im.BAD_NAMED]) + (' ...' if len(bad) > im.BAD_NAMED else '') + '.')
    notes += [str(n) for n in decoded['conversions']]
    ids = tuple(str(i) for i in decoded['ids'])
    try:
        y, class_names = im.folder_labels(ids)
    except ValueError as loose:
        notes.append(f"{loose} images lie directly in '{root}' beside its class folders: with images that have no "
                     'class the dataset is used without labels (no clustering scores).')
        y, class_names = None, None
    return im.Images(decoded['x'], ids, tuple(str(f) for f in decoded['fingerprints']), y, class_names,
                     tuple(notes), tuple(bad))


def _decode(root, files, size, channels, progress):
    """Decode `files` into the arrays the cache keeps."""
    results = im.decode_all(files, size, progress)
    good = [(entry, array, made) for entry, (array, made, reason) in zip(files, results) if reason is None]
    bad = [(entry[0], reason) for entry, (_, _, reason) in zip(files, results) if reason is not None]
    if not good:
        raise DataError(f"none of the {len(files)} image files of '{root}' can be decoded "
                        f"({'; '.join(f'{f}: {r}' for f, r in bad[:im.BAD_NAMED])}).")
    sizes = {}
    for entry, array, _ in good:
        sizes.setdefault(array.shape[:2], []).append(entry[0])
    if len(sizes) > 1:
        listed = '; '.join(f'{h}x{w}: {len(names)} files, e.g. {names[0]!r}' for (h, w), names in
                           sorted(sizes.items(), key=lambda item: -len(item[1]))[:3])
        raise DataError(f"the images of '{root}' are of {len(sizes)} sizes ({listed}): give --image_size=HxW to "
                        'resize them all to one.')
    conversions = []
    for what, sentence in (('palette', 'palette images were converted to RGB'),
                           ('alpha', 'images with an alpha channel were composited over black')):
        count = sum(what in made for _, _, made in good)
        if count:
            conversions.append(f"{count} {sentence} ('{root}').")
    return dict(x=im.stack([array for _, array, _ in good], channels),
                ids=np.array([entry[0] for entry, _, _ in good]),
                fingerprints=np.array([f'{entry[2]}:{entry[3]}' for entry, _, _ in good]),
                bad_files=np.array([f for f, _ in bad], dtype=str), bad_reasons=np.array([r for _, r in bad], dtype=str),
                conversions=np.array(conversions, dtype=str))


def _check_memory(root, files, size, available):
    """DataError when the decoded images cannot fit in memory (estimated from the first file's header)."""
    available = available or physical_memory()
    if size is None:
        try:
            with Image.open(files[0][1]) as first:
                size = first.size[::-1]
        except Exception:   # a bad first file: decoding names it
            return
    needed = im.estimated_bytes(len(files), size)
    if available is None or needed <= available:
        return
    scale = (available / 2 / needed) ** 0.5
    smaller = f'{max(im.MIN_SIDE, int(size[0] * scale))}x{max(im.MIN_SIDE, int(size[1] * scale))}'
    raise DataError(f"the {len(files):,} images of '{root}' at {size[0]}x{size[1]} pixels need about "
                    f'{needed / 1e9:,.1f} GB of memory once decoded, more than the {available / 1e9:,.1f} GB of this '
                    f'machine: give a smaller --image_size, e.g. --image_size={smaller}.')


def _cache_key(root, files, size, channels):
    digest = hashlib.sha256(repr((CACHE_VERSION, size, channels)).encode())
    for relative, _, nbytes, mtime in files:
        digest.update(f'{relative}\0{nbytes}\0{mtime}\n'.encode())
    return digest.hexdigest()


def _cache_file(root, key):
    folder = hashlib.sha256(os.path.abspath(root).encode()).hexdigest()[:8]
    name = os.path.basename(os.path.normpath(root))
    return os.path.join(cache_dir(), f'{name}-{folder}-{key[:16]}.npz')


def _read_cache(path):
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except (OSError, ValueError, EOFError, KeyError):
        return None


def _write_cache(path, decoded, seconds):
    """Save the decoded folder in `path` (replacing the folder's older cache file); returns the log's sentence."""
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix='.tmp_', suffix='.npz')
        with os.fdopen(fd, 'wb') as f:
            np.savez(f, **decoded)
        os.replace(tmp, path)
    except OSError as err:
        return f"Decoded {len(decoded['ids'])} images in {seconds:.1f} s; they could not be cached in '{folder}' " \
               f'({err.strerror or err}), so the next run decodes them again.'
    stem = os.path.basename(path).rsplit('-', 1)[0]
    for old in glob.glob(os.path.join(glob.escape(folder), glob.escape(stem) + '-*.npz')):
        if old != path:
            os.remove(old)
    return f"Decoded {len(decoded['ids'])} images in {seconds:.1f} s and cached them in '{path}'."
