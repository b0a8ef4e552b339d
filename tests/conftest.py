"""Shared fixtures: quiet TensorFlow, small result figures, tiny generated datasets, and the real data when present."""
import os
from pathlib import Path

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
os.environ.setdefault('CUDA_VISIBLE_DEVICES', '')
os.environ.setdefault('OMP_NUM_THREADS', '1')   # OpenMP and OpenBLAS threads spin-waiting for a core other workers hold

import numpy as np
import pytest
from hypothesis import settings

# CI explores the same argument vectors every run (a red CI then means a change broke something);
# local runs draw new ones each time, to keep finding new cases.
settings.register_profile('ci', derandomize=True)
if os.environ.get('CI'):
    settings.load_profile('ci')

REAL_DATA = Path(__file__).resolve().parents[2] / 'shared' / 'data'
# Every test's result figures have a few cells each instead of hundreds: one matplotlib axes per image took
# most of a results run (the 20 x 20 manifold alone ~10 s). Each figure is still drawn and saved.
SMALL_FIGURES = {'base.results.RECONSTRUCTION_IMAGES': 4, 'base.results.SAMPLE_IMAGES': 4,
                 'base.results.INTERPOLATION_PAIRS': 2, 'Alg_VAE.VAE_model.MANIFOLD_SIDE': 4,
                 'Alg_GMVAE.GMVAE_model.SAMPLES_PER_CLUSTER': 4, 'Alg_GMVAE.GMVAE_visualize.OVERVIEW_COLUMNS': 4,
                 'Alg_GMVAE.GMVAE_visualize.IMAGES_PER_CLUSTER_ROW': 4}


@pytest.fixture(autouse=True, scope='session')
def small_figures():
    with pytest.MonkeyPatch.context() as patch:   # for the whole session: module fixtures' results too
        for target, value in SMALL_FIGURES.items():
            patch.setattr(target, value)
        yield


@pytest.fixture
def real_data_dir():
    """The real MNIST and FREY files beside the checkout; the test is skipped without them."""
    if not (REAL_DATA / 'train-images-idx3-ubyte.gz').exists():
        pytest.skip(f'real data not found in {REAL_DATA}')
    return str(REAL_DATA)


def blobs(n, shape, seed=0):
    """n images (n, H, W, 1) in [0, 1]: bright squares at one of four places, plus noise; and the place as label."""
    rng = np.random.default_rng(seed)
    h, w = shape
    labels = rng.integers(0, 4, n)
    x = rng.uniform(0, 0.1, (n, h, w, 1)).astype(np.float32)
    for i, k in enumerate(labels):
        r, c = divmod(int(k), 2)
        x[i, r * h // 2:(r + 1) * h // 2, c * w // 2:(c + 1) * w // 2] += 0.8
    return np.clip(x, 0, 1), labels.astype(np.int64)
