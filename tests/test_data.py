"""Tests for utils.data: loading, splitting, downloading and validating MNIST and FREY files.

Everything runs on tiny generated files in tmp_path, except one test on the real files beside the
checkout. No test touches the network: `_fetch` is replaced by a stand-in that fails the test unless
a test installs its own.
"""
import gzip
import hashlib
import os

import numpy as np
import pytest
import scipy.io

from utils import data
from utils.data import DataError, load_dataset, load_frey, load_mnist

REAL_FETCH = data._fetch
N_TRAIN, N_TEST, N_VALID, N_FREY = 12, 4, 5, 30
MNIST_NAMES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz',
               't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']
FREY_NAME = 'frey_rawface.mat'


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def fetch(url, dest_path):
        pytest.fail(f'unexpected download of {url}')
    monkeypatch.setattr(data, '_fetch', fetch)


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def idx_bytes(array, magic):
    """The gzip-compressed IDX file of uint8 `array`."""
    header = np.array([magic, *array.shape], '>u4').tobytes()
    return gzip.compress(header + np.ascontiguousarray(array, np.uint8).tobytes())


def mnist_arrays(seed=0):
    rng = np.random.default_rng(seed)
    return {
        'train-images-idx3-ubyte.gz': (rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8), 0x803),
        'train-labels-idx1-ubyte.gz': (rng.integers(0, 10, N_TRAIN, dtype=np.uint8), 0x801),
        't10k-images-idx3-ubyte.gz': (rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8), 0x803),
        't10k-labels-idx1-ubyte.gz': (rng.integers(0, 10, N_TEST, dtype=np.uint8), 0x801),
    }


@pytest.fixture
def mnist_dir(tmp_path):
    """A folder with tiny valid MNIST files; returns (folder, arrays by file name, checksums)."""
    arrays = mnist_arrays()
    for name, (array, magic) in arrays.items():
        (tmp_path / name).write_bytes(idx_bytes(array, magic))
    return tmp_path, {k: a for k, (a, _) in arrays.items()}, {k: sha256(tmp_path / k) for k in arrays}


def frey_ff():
    """(560, N_FREY) uint8, every column (image) distinct: its first pixel is its index."""
    ff = np.random.default_rng(1).integers(100, 256, (560, N_FREY), dtype=np.uint8)
    ff[0] = np.arange(N_FREY)
    return ff


@pytest.fixture
def frey_dir(tmp_path):
    """A folder with a tiny valid FREY file; returns (folder, ff, checksums)."""
    ff = frey_ff()
    scipy.io.savemat(tmp_path / FREY_NAME, {'ff': ff})
    return tmp_path, ff, {FREY_NAME: sha256(tmp_path / FREY_NAME)}


def load_tiny_mnist(folder, **kw):
    return load_mnist(str(folder), n_valid=N_VALID, **kw)


def files_in(folder):
    return sorted(os.listdir(folder))


# ---- valid files ------------------------------------------------------------------------------------------------

def test_mnist_loads_with_the_right_shapes_values_and_splits(mnist_dir):
    folder, arrays, checksums = mnist_dir
    ds = load_tiny_mnist(folder, checksums=checksums)
    assert ds.name == 'MNIST' and ds.has_labels and ds.image_shape == (28, 28, 1)
    train_x, train_y = arrays['train-images-idx3-ubyte.gz'], arrays['train-labels-idx1-ubyte.gz']
    expected = {  # valid = the first N_VALID images of the training file, in order
        'valid': (train_x[:N_VALID], train_y[:N_VALID]),
        'train': (train_x[N_VALID:], train_y[N_VALID:]),
        'test': (arrays['t10k-images-idx3-ubyte.gz'], arrays['t10k-labels-idx1-ubyte.gz']),
    }
    for split_name, (x, y) in expected.items():
        split = getattr(ds, split_name)
        assert split.x.shape == (len(x), 28, 28, 1) and split.x.dtype == np.float32
        assert split.y.shape == (len(x),) and split.y.dtype == np.int64
        assert 0 <= split.x.min() and split.x.max() <= 1
        np.testing.assert_allclose(split.x[..., 0], x / 255, rtol=1e-6)
        np.testing.assert_array_equal(split.y, y)


@pytest.mark.parametrize('checksums', [None, {}])
def test_empty_checksums_mean_no_verification(mnist_dir, frey_dir, checksums):
    folder = mnist_dir[0]
    assert len(load_tiny_mnist(folder, checksums=checksums).train.x) == N_TRAIN - N_VALID
    assert len(load_frey(str(folder), checksums=checksums).test.x) == 3


def test_frey_loads_upright_with_a_fixed_80_10_10_split(frey_dir):
    folder, ff, checksums = frey_dir
    np.random.seed(1)
    ds = load_frey(str(folder), checksums=checksums)
    np.random.seed(2)
    again = load_dataset('FREY', str(folder), checksums=checksums)
    assert ds.name == 'FREY' and not ds.has_labels and ds.image_shape == (28, 20, 1)
    assert [len(s.x) for s in (ds.train, ds.valid, ds.test)] == [24, 3, 3]
    for split, same in zip((ds.train, ds.valid, ds.test), (again.train, again.valid, again.test)):
        assert split.y is None and split.x.dtype == np.float32 and split.x.shape[1:] == (28, 20, 1)
        np.testing.assert_array_equal(split.x, same.x)  # independent of the global seed
    x = np.concatenate([ds.train.x, ds.valid.x, ds.test.x])
    order = np.rint(x[:, 0, 0, 0] * 255).astype(int)  # first pixel = column index in ff
    assert sorted(order) == list(range(N_FREY)) and list(order) != list(range(N_FREY))
    np.testing.assert_allclose(x[..., 0], ff.T.reshape(-1, 28, 20)[order] / 255, rtol=1e-6)


def test_load_dataset_rejects_unknown_names_and_too_small_mnist(mnist_dir):
    with pytest.raises(DataError, match="neither a folder '.*CIFAR' nor an array file '.*CIFAR.npz'"):
        load_dataset('CIFAR', str(mnist_dir[0]))
    with pytest.raises(DataError, match='too few to keep 5000 for validation'):
        load_dataset('MNIST', str(mnist_dir[0]), checksums=mnist_dir[2])


# ---- missing files and downloads --------------------------------------------------------------------------------

@pytest.mark.parametrize('name', MNIST_NAMES + [FREY_NAME])
def test_missing_file_without_download_names_the_file_and_folder(mnist_dir, frey_dir, name):
    folder = mnist_dir[0]
    (folder / name).unlink()
    loader = load_frey if name == FREY_NAME else load_tiny_mnist
    with pytest.raises(DataError, match=f"file '{name}' is missing from '{folder}'") as err:
        loader(str(folder), download=False, checksums=None)
    source = data.FREY_SOURCES[0] if name == FREY_NAME else data.MNIST_SOURCES[0]
    assert str(err.value).endswith(f': copy it there from {source}.')


@pytest.mark.parametrize('partial', [False, True])
def test_failed_download_raises_and_leaves_no_partial_file(mnist_dir, monkeypatch, partial):
    folder, _, checksums = mnist_dir
    (folder / 't10k-images-idx3-ubyte.gz').unlink()
    before, urls = files_in(folder), []

    def fetch(url, dest_path):
        urls.append(url)
        if partial:
            with open(dest_path, 'wb') as f:
                f.write(b'\x1f\x8b half a file')
        raise OSError('no route to host')
    monkeypatch.setattr(data, '_fetch', fetch)
    with pytest.raises(DataError, match="'t10k-images-idx3-ubyte.gz' is missing .* could not be downloaded "
                                        r'\(no route to host\): copy it there from http://yann.lecun.com'):
        load_tiny_mnist(folder, checksums=checksums)
    assert urls == [source + 't10k-images-idx3-ubyte.gz' for source in data.MNIST_SOURCES]
    assert files_in(folder) == before


def test_download_with_the_wrong_checksum_is_discarded(mnist_dir, monkeypatch):
    folder, _, checksums = mnist_dir
    (folder / 'train-labels-idx1-ubyte.gz').unlink()
    before = files_in(folder)
    monkeypatch.setattr(data, '_fetch', lambda url, dest: open(dest, 'wb').write(b'not the labels'))
    with pytest.raises(DataError, match='could not be downloaded .*had the wrong checksum'):
        load_tiny_mnist(folder, checksums=checksums)
    assert files_in(folder) == before


def test_download_puts_the_file_in_place_falling_back_to_the_mirror(mnist_dir, monkeypatch):
    folder, _, checksums = mnist_dir
    name = 'train-images-idx3-ubyte.gz'
    content = (folder / name).read_bytes()
    (folder / name).unlink()
    urls = []

    def fetch(url, dest_path):
        urls.append(url)
        if url.startswith(data.MNIST_SOURCES[0]):
            raise OSError('timed out')
        with open(dest_path, 'wb') as f:
            f.write(content)
    monkeypatch.setattr(data, '_fetch', fetch)
    ds = load_tiny_mnist(folder, checksums=checksums)
    assert len(ds.train.x) == N_TRAIN - N_VALID
    assert urls == [source + name for source in data.MNIST_SOURCES]
    assert (folder / name).read_bytes() == content and files_in(folder) == sorted(MNIST_NAMES)


def test_download_creates_the_missing_data_folder(frey_dir, tmp_path, monkeypatch):
    content = (frey_dir[0] / FREY_NAME).read_bytes()
    monkeypatch.setattr(data, '_fetch', lambda url, dest: open(dest, 'wb').write(content))
    folder = tmp_path / 'new' / 'data'
    assert len(load_frey(str(folder), checksums=frey_dir[2]).train.x) == 24
    assert files_in(folder) == [FREY_NAME]


def test_real_fetch_copies_a_url_to_a_file(tmp_path):
    (tmp_path / 'source').write_bytes(b'payload')
    REAL_FETCH((tmp_path / 'source').as_uri(), str(tmp_path / 'copy'))
    assert (tmp_path / 'copy').read_bytes() == b'payload'


def test_missing_data_folder_without_download(tmp_path):
    folder = tmp_path / 'nowhere'
    with pytest.raises(DataError, match=f"the data folder '{folder}' does not exist"):
        load_tiny_mnist(folder, download=False)
    with pytest.raises(DataError, match=f"the data folder '{folder}' does not exist"):
        load_frey(str(folder), download=False)
    assert not folder.exists()


def test_data_folder_that_is_a_file(tmp_path):
    (tmp_path / 'file').write_text('x')
    with pytest.raises(DataError, match='is not a folder'):
        load_frey(str(tmp_path / 'file'))


# ---- damaged files ----------------------------------------------------------------------------------------------

def test_wrong_checksum_of_a_present_file(mnist_dir, frey_dir):
    folder, _, checksums = mnist_dir
    wrong = dict(checksums, **{'t10k-labels-idx1-ubyte.gz': '0' * 64})
    with pytest.raises(DataError, match='t10k-labels-idx1-ubyte.gz.* has the wrong checksum'):
        load_tiny_mnist(folder, checksums=wrong)
    with pytest.raises(DataError, match=f'{FREY_NAME}.* has the wrong checksum'):
        load_frey(str(folder))  # the real checksum, which the generated file lacks


def truncated_gzip(arrays):
    return idx_bytes(arrays['train-images-idx3-ubyte.gz'], 0x803)[:-200]


def not_gzip(arrays):
    return b'this is not a gzip file at all'


def truncated_payload(arrays):
    header = np.array([0x803, N_TRAIN, 28, 28], '>u4').tobytes()
    return gzip.compress(header + arrays['train-images-idx3-ubyte.gz'].tobytes()[:-100])


def wrong_magic(arrays):
    return idx_bytes(arrays['train-images-idx3-ubyte.gz'], 0x801)


def header_only(arrays):
    return gzip.compress(b'\x00\x00\x08')


def wrong_image_size(arrays):
    return idx_bytes(np.zeros((N_TRAIN, 28, 27), np.uint8), 0x803)


def label_count_mismatch(arrays):
    return idx_bytes(arrays['train-labels-idx1-ubyte.gz'][:-1], 0x801)


def label_out_of_range(arrays):
    return idx_bytes(np.full(N_TRAIN, 10, np.uint8), 0x801)


def empty(arrays):
    return b''


@pytest.mark.parametrize('name, make, message', [
    ('train-images-idx3-ubyte.gz', truncated_gzip, 'is not a complete gzip file'),
    ('train-images-idx3-ubyte.gz', not_gzip, 'is not a complete gzip file'),
    ('train-images-idx3-ubyte.gz', truncated_payload, r'header announces 9408 \(truncated\?\)'),
    ('train-images-idx3-ubyte.gz', wrong_magic, 'does not start with the IDX magic number 0x00000803'),
    ('train-images-idx3-ubyte.gz', header_only, 'does not start with the IDX magic number'),
    ('train-images-idx3-ubyte.gz', wrong_image_size, 'not 28x28'),
    ('train-labels-idx1-ubyte.gz', label_count_mismatch, '11 labels for the 12 images'),
    ('train-labels-idx1-ubyte.gz', label_out_of_range, 'outside 0..9'),
    ('t10k-labels-idx1-ubyte.gz', empty, 'is empty'),
], ids=lambda v: getattr(v, '__name__', None))
def test_damaged_mnist_file(mnist_dir, name, make, message):
    folder, arrays, _ = mnist_dir
    (folder / name).write_bytes(make(arrays))
    with pytest.raises(DataError, match=message) as err:
        load_tiny_mnist(folder, checksums=None)
    text = str(err.value)
    assert name in text and text.endswith(f'replace it with the original from {data.MNIST_SOURCES[0]}.')


@pytest.mark.parametrize('variables, message', [
    ({'faces': frey_ff()}, "no uint8 variable 'ff'"),
    ({'ff': frey_ff()[:28 * 28 // 2]}, "no uint8 variable 'ff'"),
    ({'ff': frey_ff().astype(np.float64) / 255}, "no uint8 variable 'ff'"),
    ({'ff': frey_ff()[:, :5]}, 'N >= 10'),
    (None, 'is not a readable MATLAB file'),
    (b'', 'is empty'),
], ids=['wrong_name', 'wrong_shape', 'wrong_dtype', 'too_few', 'truncated', 'empty'])
def test_damaged_frey_file(frey_dir, variables, message):
    path = frey_dir[0] / FREY_NAME
    if isinstance(variables, dict):
        scipy.io.savemat(path, variables)
    else:
        content = path.read_bytes()
        path.write_bytes(content[:len(content) // 2] if variables is None else variables)
    with pytest.raises(DataError, match=message):
        load_frey(str(frey_dir[0]), checksums=None)


# ---- the real files ---------------------------------------------------------------------------------------------

def test_real_data(real_data_dir):
    """The real files pass their checksums and give the standard splits (skipped when they are absent)."""
    mnist = load_dataset('MNIST', real_data_dir, download=False)
    assert [len(s.x) for s in (mnist.train, mnist.valid, mnist.test)] == [55000, 5000, 10000]
    assert mnist.image_shape == (28, 28, 1)
    train_counts = np.bincount(mnist.train.y, minlength=10)
    assert train_counts.min() > 4500 and train_counts.max() < 6500
    all_train = train_counts + np.bincount(mnist.valid.y, minlength=10)
    assert list(all_train) == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert list(np.bincount(mnist.test.y)) == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert np.concatenate([mnist.valid.x, mnist.train.x]).mean() == pytest.approx(0.1307, abs=1e-4)

    frey = load_dataset('FREY', real_data_dir, download=False)
    assert [len(s.x) for s in (frey.train, frey.valid, frey.test)] == [1572, 196, 197]
    assert frey.image_shape == (28, 20, 1) and frey.train.y is None
    assert 0 <= min(s.x.min() for s in (frey.train, frey.valid, frey.test))
    assert max(s.x.max() for s in (frey.train, frey.valid, frey.test)) <= 1
