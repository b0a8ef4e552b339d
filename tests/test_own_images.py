"""A user's own images (utils/images.py, utils/image_sources.py, utils/splits.py, load_dataset): folders
and array files that the tests generate, their quirks, the cache, the split and its record."""
import os

import numpy as np
import pytest
from PIL import Image

from utils import image_sources
from utils.data import DataError, load_dataset
from utils.image_sources import load_images
from utils.splits import fixed_split, write_record


@pytest.fixture(autouse=True)
def cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv('VAE_GMVAE_CACHE_DIR', str(tmp_path / 'cache'))


def save(path, array, **kwargs):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, **kwargs)


def gray(seed, shape=(12, 10)):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def classes_folder(root, n_per_class=6, shape=(12, 10)):
    """Two class folders of grayscale PNGs, plus the clutter a real folder has."""
    for k, name in enumerate(('cats', 'dogs')):
        for i in range(n_per_class):
            save(root / name / f'{i}.png', gray(10 * k + i, shape))
    (root / '.DS_Store').write_bytes(b'\0\1')
    (root / 'Thumbs.db').write_bytes(b'\0\1')
    (root / 'cats' / '.hidden.png').write_bytes(b'not read')
    (root / 'README.txt').write_text('about these images')
    return root


def test_folder_of_class_folders_gives_labels_in_sorted_order_and_ignores_clutter(tmp_path):
    images = load_images(str(classes_folder(tmp_path / 'pets')), progress=False)
    assert images.x.shape == (12, 12, 10, 1) and images.x.dtype == np.uint8
    assert images.class_names == ('cats', 'dogs')
    assert images.ids[0] == 'cats/0.png' and images.ids[-1] == 'dogs/5.png'
    np.testing.assert_array_equal(images.y, [0] * 6 + [1] * 6)
    np.testing.assert_array_equal(images.x[0, ..., 0], gray(0))
    assert any('README.txt' in note for note in images.notes)


def test_flat_folder_is_unlabelled_and_non_ascii_names_work(tmp_path):
    for i, name in enumerate(['é.png', '猫.jpg', 'plain.bmp']):
        save(tmp_path / 'flat' / name, gray(i))
    images = load_images(str(tmp_path / 'flat'), progress=False)
    assert images.y is None and images.class_names is None
    assert set(images.ids) == {'é.png', '猫.jpg', 'plain.bmp'}


def test_colour_detection_and_channels_override(tmp_path):
    save(tmp_path / 'mixed' / 'a.png', gray(0))
    save(tmp_path / 'mixed' / 'b.png', np.stack([gray(1)] * 3, -1))   # RGB with equal channels: grayscale
    assert load_images(str(tmp_path / 'mixed'), progress=False).x.shape[-1] == 1
    colour = np.random.default_rng(2).integers(0, 256, (12, 10, 3), dtype=np.uint8)
    save(tmp_path / 'mixed' / 'c.png', colour)
    x = load_images(str(tmp_path / 'mixed'), progress=False).x
    assert x.shape == (3, 12, 10, 3)
    np.testing.assert_array_equal(x[0], np.stack([gray(0)] * 3, -1))   # the grayscale one, as three channels
    one = load_images(str(tmp_path / 'mixed'), channels=1, progress=False).x
    assert one.shape == (3, 12, 10, 1)
    np.testing.assert_array_equal(one[2, ..., 0], np.asarray(Image.fromarray(colour).convert('L')))


def test_alpha_palette_and_gif_first_frame_are_converted_and_said(tmp_path):
    rgba = np.zeros((12, 10, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 128
    save(tmp_path / 'odd' / 'alpha.png', rgba)
    Image.fromarray(np.stack([gray(3)] * 3, -1)).convert('P').save(tmp_path / 'odd' / 'palette.png')
    frames = [Image.fromarray(np.full((12, 10), v, np.uint8)) for v in (40, 220)]
    frames[0].save(tmp_path / 'odd' / 'anim.gif', save_all=True, append_images=frames[1:])
    images = load_images(str(tmp_path / 'odd'), progress=False)
    by_name = dict(zip(images.ids, images.x))
    assert images.x.shape[-1] == 3
    np.testing.assert_array_equal(by_name['alpha.png'][0, 0], [100, 0, 0])   # over black
    assert np.all(by_name['anim.gif'] == 40)
    notes = ' '.join(images.notes)
    assert 'alpha channel' in notes and 'palette' in notes


def test_image_size_resizes_and_mixed_sizes_without_it_are_refused(tmp_path):
    save(tmp_path / 'sizes' / 'a.png', gray(0, (12, 10)))
    save(tmp_path / 'sizes' / 'b.png', gray(1, (27, 19)))
    with pytest.raises(DataError, match=r"are of 2 sizes .*--image_size=HxW"):
        load_images(str(tmp_path / 'sizes'), progress=False)
    assert load_images(str(tmp_path / 'sizes'), size=(16, 8), progress=False).x.shape == (2, 16, 8, 1)


def test_bad_files_are_refused_by_name_or_skipped(tmp_path):
    root = classes_folder(tmp_path / 'pets')
    (root / 'cats' / 'text.png').write_text('hello')
    (root / 'cats' / 'empty.jpg').write_bytes(b'')
    good = (root / 'dogs' / '0.png').read_bytes()
    (root / 'dogs' / 'cut.png').write_bytes(good[:len(good) // 2])
    with pytest.raises(DataError) as refused:
        load_images(str(root), progress=False)
    message = str(refused.value)
    assert message.startswith("3 files of '") and '--skip_bad_images=1' in message
    for name, reason in (('cats/text.png', 'not an image'), ('cats/empty.jpg', 'empty'), ('dogs/cut.png', 'truncated')):
        assert f'{name}: {reason}' in message
    images = load_images(str(root), skip_bad=True, progress=False)
    assert len(images.x) == 12 and len(images.skipped) == 3


def test_missing_empty_and_too_small_folders_get_one_sentence(tmp_path):
    with pytest.raises(DataError, match="neither a folder '.*nothing' nor an array file '.*nothing.npz'"):
        load_dataset('nothing', str(tmp_path))
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'empty' / 'notes.txt').write_text('x')
    with pytest.raises(DataError, match="holds no image files .*only 1 other files, such as 'notes.txt'"):
        load_dataset('empty', str(tmp_path))
    for i in range(9):
        save(tmp_path / 'nine' / f'{i}.png', gray(i))
    with pytest.raises(DataError, match='holds 9 usable images, too few .* at least 10'):
        load_dataset('nine', str(tmp_path))
    for i in range(10):
        save(tmp_path / 'tiny' / f'{i}.png', gray(i, (6, 9)))
    with pytest.raises(DataError, match='6x9 pixels, smaller than the networks'):
        load_dataset('tiny', str(tmp_path))


def test_symlink_loop_does_not_hang(tmp_path):
    root = classes_folder(tmp_path / 'pets')
    os.symlink(root, root / 'cats' / 'loop')
    assert len(load_images(str(root), progress=False).x) == 12


def test_second_load_comes_from_the_cache_which_is_never_stale(tmp_path):
    root = classes_folder(tmp_path / 'pets')
    first = load_images(str(root), progress=False)
    assert any('cached them in' in note for note in first.notes)
    second = load_images(str(root), progress=False)
    assert any('from the cache' in note for note in second.notes)
    np.testing.assert_array_equal(first.x, second.x)
    save(root / 'dogs' / '0.png', gray(99))   # edited: a new key
    os.utime(root / 'dogs' / '0.png', ns=(1, 1))
    third = load_images(str(root), progress=False)
    assert not any('from the cache' in note for note in third.notes)
    np.testing.assert_array_equal(third.x[6, ..., 0], gray(99))
    assert len(os.listdir(tmp_path / 'cache')) == 1   # one cache file per folder


def test_a_folder_too_large_for_memory_is_refused_with_the_estimate(tmp_path):
    root = classes_folder(tmp_path / 'pets')
    with pytest.raises(DataError, match=r'12 images .* at 12x10 pixels need about .* GB .*--image_size='):
        load_images(str(root), progress=False, available=1000)


# ------------------------------------------------------------------------------------------------ arrays
@pytest.mark.parametrize('arrays, words', [
    (dict(images=np.zeros((10, 8, 8))), "holds no array 'x'"),
    (dict(x=np.zeros((10, 8))), 'not (N, H, W)'),
    (dict(x=np.zeros((10, 8, 8, 2))), 'not (N, H, W)'),
    (dict(x=np.zeros((10, 8, 8), np.int32)), 'of type int32'),
    (dict(x=np.full((10, 8, 8), np.nan)), 'NaN'),
    (dict(x=np.full((10, 8, 8), 255.0)), 'outside [0, 1]'),
    (dict(x=np.zeros((10, 8, 8)), y=np.zeros(9, int)), 'y has shape (9,)'),
])
def test_bad_array_files_get_one_sentence_naming_the_file(tmp_path, arrays, words):
    np.savez(tmp_path / 'bad.npz', **arrays)
    with pytest.raises(DataError) as refused:
        load_dataset('bad', str(tmp_path))
    assert words in str(refused.value) and 'bad.npz' in str(refused.value)


def test_array_file_loads_uint8_and_float_with_labels(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (20, 9, 11, 3), dtype=np.uint8)
    np.savez(tmp_path / 'arr.npz', x=x, y=np.arange(20) % 2)
    dataset = load_dataset('arr', str(tmp_path))
    assert dataset.image_shape == (9, 11, 3) and dataset.has_labels
    train = dataset.train
    np.testing.assert_array_equal(train.x[0], x[int(train.ids[0])] / np.float32(255))
    np.savez(tmp_path / 'unit.npz', x=np.linspace(0, 1, 20 * 64).reshape(20, 8, 8))
    assert load_dataset('unit', str(tmp_path)).image_shape == (8, 8, 1)


# ------------------------------------------------------------------------------------------------ splits
def test_split_is_80_10_10_fixed_and_mnist_keeps_its_case(tmp_path):
    classes_folder(tmp_path / 'Pets', n_per_class=10)
    dataset = load_dataset('Pets', str(tmp_path))
    assert (len(dataset.train.x), len(dataset.valid.x), len(dataset.test.x)) == (16, 2, 2)
    assert dataset.name == 'Pets'
    every = dataset.train.ids + dataset.valid.ids + dataset.test.ids
    assert sorted(every) == sorted(set(every)) and len(every) == 20
    again = load_dataset('Pets', str(tmp_path))
    assert again.test.ids == dataset.test.ids
    assert [len(s) for s in fixed_split(1965)] == [1572, 196, 197]   # as FREY's


def test_recorded_split_is_used_and_a_changed_folder_is_said(tmp_path):
    root = classes_folder(tmp_path / 'pets', n_per_class=10)
    dataset = load_dataset('pets', str(tmp_path))
    record = tmp_path / 'split.csv'
    ids, fingerprints, splits = dataset.record
    test_first = (splits[2], splits[1], splits[0])   # a record unlike the drawn split
    write_record(str(record), ids, fingerprints, test_first)
    restored = load_dataset('pets', str(tmp_path), split_record=str(record))
    assert restored.train.ids == dataset.test.ids and not restored.notes[-1:] == ('changed',)
    save(root / 'cats' / 'new.png', gray(50))
    (root / 'dogs' / '3.png').unlink()
    changed = load_dataset('pets', str(tmp_path), split_record=str(record))
    sentence = changed.notes[-1]
    assert 'has changed since this run drew its split' in sentence
    assert "1 added" in sentence and "'cats/new.png'" in sentence and '1 removed' in sentence
    assert 'cats/new.png' not in changed.train.ids + changed.valid.ids + changed.test.ids


def test_mnist_can_be_resized_for_smaller_experiments(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(12, 28, 28, 1)).astype(np.float32)
    resized = image_sources.im.resize_array(x, (14, 14), None)
    assert resized.shape == (12, 14, 14, 1) and resized.dtype == np.float32
    assert abs(resized.mean() - x.mean()) < 0.02


def test_a_file_whose_extension_names_another_format_is_still_decoded(tmp_path):
    for i in range(2):
        save(tmp_path / 'misnamed' / f'{i}.png', gray(i), format='JPEG')   # JPEG data in a .png file
    images = load_images(str(tmp_path / 'misnamed'), progress=False)
    assert images.x.shape == (2, 12, 10, 1)
