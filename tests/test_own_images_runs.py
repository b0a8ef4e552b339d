"""End to end on a user's own images: a run on a generated folder writes a row for every image, restores
with its recorded split, predicts new images without touching the run, and bad input gets one
sentence, exit status 2 and no run folder."""
import csv
import os

import numpy as np
import pytest
from PIL import Image

import GMVAE_main
import VAE_main
from tests.conftest import blobs


def write_folder(root, n, shape=(12, 10), seed=0):
    """n blob images in one class folder per place of the blob (4 classes)."""
    x, y = blobs(n, shape, seed=seed)
    for i, (image, label) in enumerate(zip(x, y)):
        path = root / f'place_{label}' / f'{i:03d}.png'
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.rint(image[..., 0] * 255).astype(np.uint8)).save(path)
    return y


def flags(tmp, data_dir, *extra):
    return [f'--data_dir={data_dir}', f'--checkpoint_dir={tmp}/ckpt', f'--log_dir={tmp}/summary',
            f'--result_dir={tmp}/results', '--epochs=2', '--batch_size=16', '--hidden_dim=16', '--z_dim=2',
            '--iw_samples=5', '--summary=0', *extra]


def rows(path):
    with open(path, newline='', encoding='utf-8') as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope='module')
def gmvae_run(tmp_path_factory):
    """A dense GMVAE trained with results on a folder of 60 images; returns (tmp, data_dir, run folder names)."""
    tmp = tmp_path_factory.mktemp('own')
    os.environ['VAE_GMVAE_CACHE_DIR'] = str(tmp / 'cache')
    write_folder(tmp / 'data' / 'blobs', 60)
    argv = flags(tmp, tmp / 'data', '--dataset_name=blobs', '--model_type=2', '--w_dim=2', '--K_clusters=4',
                 '--results=1')
    assert GMVAE_main.run(argv) == 0
    return tmp, argv, 'GMV_blobs_001_2_2_16_2_4'


def test_results_write_a_row_for_every_image_of_every_split(gmvae_run):
    tmp, _, name = gmvae_run
    table = rows(tmp / 'results' / name / 'assignments.csv')
    assert len(table) == 60 and [s for s in ('train', 'valid', 'test')] == sorted({r['split'] for r in table},
                                                                                  key=('train', 'valid', 'test').index)
    assert sum(r['split'] == 'test' for r in table) == 6
    assert set(table[0]) == {'file', 'split', 'cluster', 'probability', 'label'}
    assert all(r['label'] == r['file'].split('/')[0] for r in table)
    assert all(0 <= int(r['cluster']) < 4 and 0 < float(r['probability']) <= 1 for r in table)
    recorded = rows(tmp / 'ckpt' / name / 'split.csv')
    assert [r['file'] for r in recorded] == [r['file'] for r in table]
    assert 'test/accuracy_paper' in (tmp / 'results' / name / 'metrics.json').read_text()


def test_predict_writes_its_table_and_changes_nothing_of_the_run(gmvae_run):
    tmp, argv, name = gmvae_run
    write_folder(tmp / 'new', 8, seed=5)
    untouched = [tmp / 'results' / name / 'metrics.json', *sorted((tmp / 'ckpt' / name).glob('ckpt-*'))]
    before = [(p.stat().st_mtime_ns, p.read_bytes()) for p in untouched]
    assert GMVAE_main.run(argv + [f'--predict={tmp}/new']) == 0
    table = rows(tmp / 'results' / name / 'predictions_new.csv')
    assert len(table) == 8 and {r['split'] for r in table} == {'predict'}
    assert [(p.stat().st_mtime_ns, p.read_bytes()) for p in untouched] == before


def test_predict_refuses_images_that_cannot_match_the_run(gmvae_run, capsys):
    tmp, argv, _ = gmvae_run
    write_folder(tmp / 'big', 4, shape=(20, 20))
    assert GMVAE_main.run(argv + [f'--predict={tmp}/big']) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and 'are 20x20 pixels and run' in err and 'takes 12x10' in err


def test_a_results_run_on_a_changed_folder_uses_the_recorded_split_and_says_so(gmvae_run):
    tmp, argv, name = gmvae_run
    write_folder(tmp / 'data' / 'blobs', 61)   # one image more (and the others rewritten: changed)
    assert GMVAE_main.run([a for a in argv if a != '--results=1'] + ['--train=0', '--results=1',
                                                                     '--overwrite=1']) == 0
    log = (tmp / 'summary' / name / 'train.log').read_text()
    assert 'has changed since this run drew its split: 1 added' in log
    assert len(rows(tmp / 'results' / name / 'assignments.csv')) == 60


def test_vae_on_an_array_file_writes_latent_means(tmp_path, monkeypatch):
    monkeypatch.setenv('VAE_GMVAE_CACHE_DIR', str(tmp_path / 'cache'))
    x, y = blobs(40, (9, 13))
    np.savez(tmp_path / 'arr.npz', x=x, y=y)
    assert VAE_main.run(flags(tmp_path, tmp_path, '--dataset_name=arr', '--results=1')) == 0
    table = rows(tmp_path / 'results' / 'V_arr_01_2_16_2' / 'latents.csv')
    assert len(table) == 40 and list(table[0]) == ['file', 'split', 'z0', 'z1', 'label']
    assert sorted(int(r['file']) for r in table) == list(range(40))


@pytest.mark.parametrize('make, words', [
    (lambda d: None, "neither a folder"),
    (lambda d: (d / 'imgs').mkdir(), 'holds no image files'),
    (lambda d: np.savez(d / 'imgs.npz', x=np.full((20, 8, 8), 2.0)), 'outside [0, 1]'),
])
def test_bad_data_exits_2_with_one_sentence_and_writes_no_run(tmp_path, capsys, make, words):
    make(tmp_path)
    assert VAE_main.run(flags(tmp_path, tmp_path, '--dataset_name=imgs')) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err
    assert not any((tmp_path / folder).exists() for folder in ('ckpt', 'summary', 'results'))
