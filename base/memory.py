"""Up-front memory estimate of a run, so that sizes that cannot fit are refused before anything is built.

`parameter_count` follows the layers of networks/ and the graphs exactly (tests/test_robustness.py
checks it against the built models); activations and data are rough, on the high side.
"""
import math

from base.base_model import EVAL_BATCH
from base.iwae import IMAGE_CHUNK, SAMPLE_CHUNK
from networks.conv_net import FILTERS, coded_side
from utils.constants import MODEL_TYPES
from utils.machine import physical_memory

BYTES = 4            # float32
WEIGHT_COPIES = 8    # weights, gradients, two Adam slots, best weights kept for early stopping, and a copy of
                     # the weights and slots at the epoch's start (to undo a diverged epoch)
TRAIN_FACTOR = 3     # training activations: forward, kept for the backward pass, and their gradients


def _dense(n_in, n_out):
    return n_in * n_out + n_out


def _dense_net(n_in, hidden, layers):
    return _dense(n_in, hidden) + (layers - 1) * _dense(hidden, hidden)


def parameter_count(args, image_shape):
    """Number of weights of the graph of `args` (parsed flags) for images of `image_shape` (H, W, C)."""
    h, w, c = image_shape
    pixels, hidden, layers, z = h * w * c, args.hidden_dim, args.num_layers, args.z_dim
    if MODEL_TYPES[args.model_type].network == 'cnn':
        flat = coded_side(h) * coded_side(w) * FILTERS[1]
        convs = 9 * (c * FILTERS[0] + FILTERS[0] * FILTERS[1]) + sum(FILTERS)
        encoder = convs + _dense_net(flat, hidden, layers)
        deconvs = 9 * (FILTERS[1] * FILTERS[1] + FILTERS[1] * FILTERS[0] + FILTERS[0] * c) + sum(FILTERS) + c
        decoder = _dense_net(z, hidden, layers) + _dense(hidden, flat) + deconvs
    else:
        encoder = _dense_net(pixels, hidden, layers)
        decoder = _dense_net(z, hidden, layers) + _dense(hidden, pixels)
    total = encoder + decoder + 2 * _dense(hidden, z)
    if args.family == 'GMVAE':
        k = args.K_clusters
        total += 2 * _dense(hidden, args.w_dim) + _dense(args.w_dim, hidden) + 2 * _dense(hidden, k * z)
    return total


def _activations_per_image(args, image_shape):
    """Floats computed for one image in a forward pass (roughly), with the CNN's feature maps of networks/conv_net.py."""
    h, w, c = image_shape
    pixels = h * w * c
    floats = 4 * pixels + 2 * args.num_layers * args.hidden_dim + 4 * args.z_dim
    if MODEL_TYPES[args.model_type].network == 'cnn':
        coded = coded_side(h) * coded_side(w)                                  # ceil(H/4) x ceil(W/4)
        floats += -(-h // 2) * -(-w // 2) * FILTERS[0] + coded * FILTERS[1]     # encoder
        floats += coded * FILTERS[1] + 4 * coded * FILTERS[1] + 16 * coded * FILTERS[0]   # decoder, before its crop
        if 16 * coded > h * w:
            floats += h * w * FILTERS[0]                                        # the crop to H x W
    if args.family == 'GMVAE':
        floats += 4 * args.w_dim + 2 * args.hidden_dim + 8 * args.K_clusters * args.z_dim
    return floats


def estimate_bytes(args, dataset):
    """Bytes a run of `args` on `dataset` needs at its peak, beyond the loaded dataset itself."""
    images = sum(len(split.x) for split in (dataset.train, dataset.valid, dataset.test))
    pixels = math.prod(dataset.image_shape)
    weights = BYTES * WEIGHT_COPIES * parameter_count(args, dataset.image_shape)
    at_once = max(TRAIN_FACTOR * min(args.batch_size, len(dataset.train.x)), EVAL_BATCH)
    if args.results and args.iw_samples:
        at_once = max(at_once, IMAGE_CHUNK * min(SAMPLE_CHUNK, args.iw_samples))
    activations = BYTES * at_once * _activations_per_image(args, dataset.image_shape)
    return weights + activations + BYTES * pixels * images   # + the copies made for training and evaluation


def memory_problem(args, dataset, available=None):
    """A sentence when the run of `args` cannot fit in the machine's memory (or `available` bytes), else None."""
    available = available or physical_memory()
    needed = estimate_bytes(args, dataset)
    if available is None or needed <= available:
        return None
    return (f'this run needs about {needed / 1e9:,.1f} GB of memory ({parameter_count(args, dataset.image_shape):,} '
            f'weights with --hidden_dim={args.hidden_dim}, --num_layers={args.num_layers}, --z_dim={args.z_dim}, '
            f'--batch_size={args.batch_size}) but the machine has {available / 1e9:,.1f} GB: choose smaller sizes')
