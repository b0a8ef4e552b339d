"""The fixed 80/10/10 train / validation / test split, and its record in a run folder (split.csv).

The split is drawn with the fixed seed SPLIT_SEED, whatever the training seed, as the original did
for the Frey faces. A run on a user's images records it: split.csv has one row per image (its file
or row index, its split, and its fingerprint: size and modification time of a file, a hash of a
row), train rows first, in the order training sees them. Restores and results use the record, so a
folder that has changed since training keeps the images of each split where they were; what
changed is said in one sentence.
"""
import csv
import io

import numpy as np

from utils.errors import DataError
from utils.files import atomic_write_text

SPLIT_SEED = 0
SPLITS = ('train', 'valid', 'test')
MIN_IMAGES = 10   # int(0.1 * 10) = 1 validation and 1 test image


def fixed_split(n):
    """Indices of the train, valid and test images among n: a permutation by SPLIT_SEED cut
    int(0.8 n) / int(0.1 n) / the rest."""
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    n_train, n_valid = int(0.8 * n), int(0.1 * n)
    return order[:n_train], order[n_train:n_train + n_valid], order[n_train + n_valid:]


def write_record(path, ids, fingerprints, splits):
    """split.csv at `path`: the images ids[i] of each split's indices in `splits` (train, valid, test)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(['file', 'split', 'fingerprint'])
    for name, indices in zip(SPLITS, splits):
        writer.writerows([ids[i], name, fingerprints[i]] for i in indices)
    atomic_write_text(path, out.getvalue())


def read_record(path):
    """[(file, split, fingerprint)] of split.csv; DataError when it is unreadable."""
    try:
        with open(path, newline='', encoding='utf-8') as f:
            rows = list(csv.DictReader(f))
        record = [(row['file'], row['split'], row['fingerprint']) for row in rows]
    except (OSError, UnicodeDecodeError, KeyError, TypeError, csv.Error) as err:
        raise DataError(f"the run's split record '{path}' is unreadable ({err}): move it away to draw the split "
                        'again') from err
    if any(split not in SPLITS for _, split, _ in record):
        raise DataError(f"the run's split record '{path}' names a split other than {', '.join(SPLITS)}.")
    return record


def recorded_split(record, ids, fingerprints, source):
    """The indices (train, valid, test) of `ids` that `record` (read_record) places in each split, in its
    order, and one sentence on how the images differ from the record (None when they do not)."""
    where = {image: i for i, image in enumerate(ids)}
    splits = tuple(np.array([where[f] for f, split, _ in record if split == name and f in where], np.int64)
                   for name in SPLITS)
    recorded = {f for f, _, _ in record}
    added = [image for image in ids if image not in recorded]
    removed = [f for f, _, _ in record if f not in where]
    changed = [f for f, _, mark in record if f in where and fingerprints[where[f]] != mark]
    empty = [name for name, indices in zip(SPLITS, splits) if not len(indices)]
    if empty:
        raise DataError(f"'{source}' no longer holds any of the images the run recorded for its {empty[0]} split "
                        f'({len(removed)} of its {len(record)} images are gone): train a new run on it.')
    if not (added or removed or changed):
        return splits, None
    parts = [f'{len(items)} {what} (e.g. {items[0]!r})' for items, what in
             ((added, 'added, not used by this run: --predict scores new images'), (removed, 'removed'),
              (changed, 'changed')) if items]
    return splits, (f"'{source}' has changed since this run drew its split: {'; '.join(parts)}; the recorded split "
                    f'of the other {sum(len(s) for s in splits)} images is used.')
