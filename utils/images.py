"""A user's own images, as uint8 arrays: a folder of image files, or an array file (.npz).

A folder follows `keras.utils.image_dataset_from_directory`: each subfolder is a class (its images,
at any depth below it, get its label, classes numbered in the sorted order of their names), and a
folder without subfolders of images holds unlabelled images. Files are decoded by Pillow (PNG,
JPEG, BMP, GIF: its first frame); hidden files and folders (a leading '.'), Thumbs.db and
desktop.ini are ignored, and so are files of other extensions (the log names them). A folder
reached twice through links is read once, so a symlink loop ends.

An array file holds `x`, (N, H, W) or (N, H, W, C) with C 1 or 3, uint8 or float in [0, 1], and
optionally `y`, N integer labels.

Every problem raises `DataError` with one sentence naming the folder, file or array at fault.
"""
import hashlib
import os
import unicodedata
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

from utils.errors import DataError

FORMATS = {'.png': 'PNG', '.jpg': 'JPEG', '.jpeg': 'JPEG', '.bmp': 'BMP', '.gif': 'GIF'}   # Pillow's names
IMAGE_EXTENSIONS = tuple(FORMATS)
IGNORED_FILES = ('thumbs.db', 'desktop.ini')
MIN_SIDE = 8                  # the networks' smallest image side
BAD_NAMED = 5                 # bad files named in the error sentence
LUMA = np.array([0.299, 0.587, 0.114])   # ITU-R 601, as Pillow's convert('L')
PROGRESS_FROM = 1000          # folders this large show a progress bar while decoding


@dataclass(frozen=True)
class Images:
    x: np.ndarray                 # (N, H, W, C) uint8, or float32 in [0, 1] from a float array file
    ids: tuple                    # each image's file (path relative to the folder, '/'-separated) or row index
    fingerprints: tuple           # what changes with the image: 'bytes:mtime_ns' of a file, a hash of a row
    y: np.ndarray | None          # (N,) int64 labels, or None
    class_names: tuple | None     # the class of label k is class_names[k]
    notes: tuple = ()             # sentences for the log: conversions made, files ignored or skipped
    skipped: tuple = ()           # the bad files left out by skip_bad, as 'file: reason'


def parse_size(text):
    """'HxW' (e.g. '32x48') -> (32, 48), or None for None."""
    if text is None:
        return None
    height, width = text.lower().split('x')
    return int(height), int(width)


# ---------------------------------------------------------------------------------------------- folders
def scan_folder(root):
    """The image files below `root`: [(relative path, full path, bytes, mtime_ns)] sorted by path, and the
    relative paths of the other files that were not ignored."""
    images, others, seen = [], [], set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        stat = os.stat(folder)
        if (stat.st_dev, stat.st_ino) in seen:   # reached again through a link: a loop, or a second way in
            dirs[:] = []
            continue
        seen.add((stat.st_dev, stat.st_ino))
        dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
        for name in sorted(files):
            if name.startswith('.') or name.lower() in IGNORED_FILES:
                continue
            path = os.path.join(folder, name)
            relative = unicodedata.normalize('NFC', os.path.relpath(path, root).replace(os.sep, '/'))
            if not name.lower().endswith(IMAGE_EXTENSIONS):
                others.append(relative)
                continue
            try:
                info = os.stat(path)
            except OSError:   # a dangling link: decoding names it
                info = None
            images.append((relative, path, info.st_size if info else 0, info.st_mtime_ns if info else 0))
    return sorted(images), sorted(others)


def folder_labels(relatives):
    """Labels from the first folder of each relative path: (y (N,) int64, class names), or (None, None)
    when no image lies in a subfolder. Raises ValueError with the count of images outside any class
    folder when some do and some do not."""
    classes = [r.split('/', 1)[0] if '/' in r else None for r in relatives]
    if all(c is None for c in classes):
        return None, None
    loose = sum(c is None for c in classes)
    if loose:
        raise ValueError(loose)
    names = tuple(sorted(set(classes)))
    index = {name: k for k, name in enumerate(names)}
    return np.array([index[c] for c in classes], np.int64), names


class BadImage(Exception):
    """A file that cannot be used as an image; its text is the reason."""


def decode(path, size=None):
    """The first frame of image file `path` as uint8, (H, W) for grayscale or (H, W, 3), resized to
    `size` (H, W) if given; and the conversions made ('alpha', 'palette'). Raises BadImage."""
    try:
        try:   # the format its extension names first (faster), then any (a file misnamed)
            image = Image.open(path, formats=(FORMATS[os.path.splitext(path)[1].lower()],))
        except UnidentifiedImageError:
            image = Image.open(path)
        with image:
            image.seek(0)
            image.load()
            return _convert(image, size)
    except UnidentifiedImageError:
        raise BadImage('empty file' if os.path.getsize(path) == 0 else 'not an image') from None
    except (OSError, SyntaxError, ValueError, EOFError) as err:   # Pillow's kinds for damaged data
        raise BadImage(f'truncated or damaged ({err})') from None


def _convert(image, size):
    made = []
    if image.mode == 'P':
        made.append('palette')
        image = image.convert('RGBA' if 'transparency' in image.info else 'RGB')
    if image.mode in ('I;16', 'I;16B', 'I;16L', 'I'):
        image = Image.fromarray((np.asarray(image, np.float64) / 257).round().clip(0, 255).astype(np.uint8))
    if image.mode in ('1', 'L', 'F', 'LA', 'La'):
        if image.mode in ('LA', 'La'):
            made.append('alpha')
            gray, alpha = (np.asarray(band, np.uint16) for band in image.split())
            image = Image.fromarray(((gray * alpha + 127) // 255).astype(np.uint8))
        image = image.convert('L') if image.mode != 'L' else image
    elif image.mode in ('RGBA', 'RGBa', 'PA'):
        made.append('alpha')
        rgba = np.asarray(image.convert('RGBA'), np.uint16)   # composited over black
        image = Image.fromarray(((rgba[..., :3] * rgba[..., 3:] + 127) // 255).astype(np.uint8))
    elif image.mode != 'RGB':
        image = image.convert('RGB')
    if size and image.size != (size[1], size[0]):
        image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
    return np.asarray(image), tuple(made)


def decode_all(files, size=None, progress=True):
    """Decode [(relative, path, ...)]: [(array or None, conversions, reason or None)]. One thread: for small
    images Pillow's Python code is most of the time, and threads contending for the GIL were slower."""
    from tqdm import tqdm

    def one(entry):
        try:
            array, made = decode(entry[1], size)
            return array, made, None
        except BadImage as bad:
            return None, (), str(bad)
        except OSError as err:
            return None, (), f'unreadable ({err.strerror or err})'

    bar = tqdm(files, desc='Decoding images', unit='img', disable=not progress or len(files) < PROGRESS_FROM,
               leave=False)
    return [one(entry) for entry in bar]


def stack(arrays, channels):
    """(H, W) and (H, W, 3) uint8 arrays of one size -> (N, H, W, C): C = `channels`, or 1 when every
    image is grayscale (colour ones whose three channels are equal count as grayscale), else 3."""
    gray = [a.ndim == 2 or bool(np.all(a[..., 0] == a[..., 1]) and np.all(a[..., 1] == a[..., 2])) for a in arrays]
    channels = channels or (1 if all(gray) else 3)
    height, width = arrays[0].shape[:2]
    x = np.empty((len(arrays), height, width, channels), np.uint8)
    for i, (a, g) in enumerate(zip(arrays, gray)):
        if channels == 1:
            x[i, ..., 0] = a if a.ndim == 2 else (a[..., 0] if g else np.rint(a @ LUMA).astype(np.uint8))
        else:
            x[i] = a[..., None] if a.ndim == 2 else a
    return x


def to_unit(x):
    """uint8 images (N, H, W, C) -> float32 in [0, 1] (k / 255, divided in float32); float32 ones as they are."""
    if x.dtype == np.float32:
        return x
    x = x.astype(np.float32)
    x /= 255
    return x


def estimated_bytes(count, size):
    """Memory for `count` images of `size` (H, W) decoded in colour and kept as uint8 and float32."""
    return count * size[0] * size[1] * 3 * (1 + 4)


# ---------------------------------------------------------------------------------------------- arrays
def load_array_file(path):
    """The (x, y) of an .npz array file, checked: x (N, H, W, C) uint8 or float32 in [0, 1], y (N,) int64 or None."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, EOFError) as err:
        raise DataError(f"'{path}' is not a readable .npz array file ({err}).") from err
    if 'x' not in arrays:
        raise DataError(f"'{path}' holds no array 'x' (it has {', '.join(sorted(arrays)) or 'none'}): save the "
                        "images as x, shape (N, H, W) or (N, H, W, C).")
    x, y = arrays['x'], arrays.get('y')
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[-1] not in (1, 3):
        raise DataError(f"'{path}': x has shape {x.shape}, not (N, H, W) or (N, H, W, C) with C 1 or 3.")
    if x.dtype == np.uint8:
        pass
    elif np.issubdtype(x.dtype, np.floating):
        if not np.all(np.isfinite(x)):
            raise DataError(f"'{path}': x holds {int(np.sum(~np.isfinite(x)))} NaN or infinite values.")
        if x.size and (x.min() < 0 or x.max() > 1):
            raise DataError(f"'{path}': x holds values from {x.min():g} to {x.max():g}, outside [0, 1]: divide "
                            'uint8 images by 255, or save them as uint8.')
        x = x.astype(np.float32)
    else:
        raise DataError(f"'{path}': x is of type {x.dtype}; it must be uint8 (0-255) or float in [0, 1].")
    if y is not None:
        if y.ndim != 1 or len(y) != len(x):
            raise DataError(f"'{path}': y has shape {y.shape} for the {len(x)} images of x; it must be ({len(x)},).")
        if not np.issubdtype(y.dtype, np.integer):
            raise DataError(f"'{path}': y is of type {y.dtype}; labels must be integers.")
        y = y.astype(np.int64)
    return x, y


def row_fingerprints(x):
    """A short hash of each image of x (N, ...): what changes when the row changes."""
    return tuple(hashlib.blake2b(row.tobytes(), digest_size=8).hexdigest() for row in x)


def resize_array(x, size, channels):
    """x (N, H, W, C) uint8 or float32 -> (N, size..., channels) with Pillow's bilinear filter, as for files."""
    if size and x.shape[1:3] != tuple(size):
        resized = np.empty((len(x),) + tuple(size) + x.shape[3:], x.dtype)
        for i, image in enumerate(x):
            bands = [Image.fromarray(image[..., c]) for c in range(x.shape[3])]
            bands = [b.resize((size[1], size[0]), Image.Resampling.BILINEAR) for b in bands]
            resized[i] = np.stack([np.asarray(b) for b in bands], axis=-1)
        x = resized
    if channels and channels != x.shape[3]:
        if channels == 3:
            x = np.repeat(x, 3, axis=3)
        else:
            gray = x.astype(np.float64) @ LUMA
            x = (np.rint(gray) if x.dtype == np.uint8 else gray).astype(x.dtype)[..., None]
    return x
