"""Images of any size and channel count (issue 22): every graph decodes exactly (H, W, C), multiples of 4
keep the layers and checkpoints of before, and the figures and the projector's sprite show colour in colour."""
import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pytest
import tensorflow as tf

from Alg_GMVAE.GMVAECNN_graph import GMVAECNNGraph
from Alg_GMVAE.GMVAE_graph import GMVAEGraph
from Alg_GMVAE.GMVAE_visualize import GMVAEVisualize
from Alg_VAE.VAECNN_graph import VAECNNGraph
from Alg_VAE.VAE_graph import VAEGraph
from base import base_visualize as bv
from tests.test_projector import _config
from utils.projector import write_projector

GRAPHS = [VAEGraph, VAECNNGraph, GMVAEGraph, GMVAECNNGraph]   # model_type 0..3
TINY = dict(sigma=0.1, z_dim=2, hidden_dim=8, num_layers=1)
SHAPES = [(8, 8, 1), (27, 19, 1), (33, 47, 3), (128, 128, 3)]

# The encoder's and decoder's checkpoint keys (below 'graph/', before '/.ATTRIBUTES/VARIABLE_VALUE') and shapes
# of model_type 1 at 28x28x1 with TINY, as the checkpoints written before any size was taken (d1f2e1b) hold them.
CHECKPOINT_28x28 = {
    'decoder/_functional/_operations/1/_functional/_operations/2/_kernel': (2, 8),
    'decoder/_functional/_operations/1/_functional/_operations/2/bias': (8,),
    'decoder/_functional/_operations/2/_kernel': (8, 3136),
    'decoder/_functional/_operations/2/bias': (3136,),
    'decoder/_functional/_operations/4/bias': (64,),
    'decoder/_functional/_operations/4/kernel': (3, 3, 64, 64),
    'decoder/_functional/_operations/5/bias': (32,),
    'decoder/_functional/_operations/5/kernel': (3, 3, 32, 64),
    'decoder/_functional/_operations/6/_kernel': (3, 3, 32, 1),
    'decoder/_functional/_operations/6/bias': (1,),
    'encoder/_functional/_operations/1/_kernel': (3, 3, 1, 32),
    'encoder/_functional/_operations/1/bias': (32,),
    'encoder/_functional/_operations/2/_kernel': (3, 3, 32, 64),
    'encoder/_functional/_operations/2/bias': (64,),
    'encoder/_functional/_operations/3/_functional/_operations/2/_kernel': (3136, 8),
    'encoder/_functional/_operations/3/_functional/_operations/2/bias': (8,),
}
DECODER_LAYERS = ['Sequential', 'Dense', 'Reshape', 'Conv2DTranspose', 'Conv2DTranspose', 'TapsConv2D']   # no crop


def build(model_type, shape):
    graph_class = GRAPHS[model_type]
    extra = dict(w_dim=2, K_clusters=3) if graph_class.__name__.startswith('GMVAE') else {}
    return graph_class(shape, **TINY, **extra)


def read_rgb(path):
    """The RGB channels of a saved PNG, (height, width, 3) in [0, 1]."""
    return mpimg.imread(path)[..., :3]


def is_colour(rgb):
    return np.abs(rgb - rgb.mean(axis=-1, keepdims=True)).max() > 0.1


# ---------------------------------------------------------------------- graphs
@pytest.mark.parametrize('shape', SHAPES, ids=lambda s: 'x'.join(map(str, s)))
@pytest.mark.parametrize('model_type', range(4))
def test_every_graph_takes_any_size_and_decodes_exactly_it(model_type, shape):
    graph = build(model_type, shape)
    x = tf.random.stateless_uniform((2,) + shape, seed=(1, 2))
    with tf.GradientTape() as tape:
        terms = graph.loss_terms(x, training=True)
    assert all(np.isfinite(float(value)) for value in terms.values())
    gradients = tape.gradient(terms['objective'], graph.trainable_variables)
    assert all(np.isfinite(g.numpy()).all() for g in gradients)
    assert graph.reconstruct(x).shape == (2,) + shape   # batches of 2 throughout: TapsConv2D compiles per shape
    assert graph.decode(tf.zeros((2, graph.z_dim))).shape == (2,) + shape
    assert graph.sample(2).shape == (2,) + shape


@pytest.mark.parametrize('shape', [(28, 28, 1), (28, 20, 1)])
def test_multiples_of_4_keep_the_layers_and_checkpoints_of_before(tmp_path, shape):
    graph = build(1, shape)
    graph.loss_terms(tf.zeros((1,) + shape))
    assert [type(layer).__name__ for layer in graph.decoder.layers] == DECODER_LAYERS
    saved = tf.train.list_variables(tf.train.Checkpoint(graph=graph).write(str(tmp_path / 'ckpt')))
    keys = {key[len('graph/'):-len('/.ATTRIBUTES/VARIABLE_VALUE')]: tuple(variable_shape)
            for key, variable_shape in saved if key.startswith(('graph/encoder', 'graph/decoder'))}
    flat = 7 * (shape[1] // 4) * 64
    assert keys == {key: tuple(flat if n == 3136 else n for n in variable_shape)
                    for key, variable_shape in CHECKPOINT_28x28.items()}


def test_other_sizes_crop_the_decoder_centred():
    graph = build(1, (27, 18, 1))
    crop, = [layer for layer in graph.decoder.layers if layer.name == 'decoder_crop']
    assert crop.cropping == ((0, 1), (1, 1))   # from 28x20: one row at the bottom, a column each side


# ---------------------------------------------------------------------- figures and sprite
def colour_images(n, h, w):
    """n colour images (n, h, w, 3): red grows down, green across, blue fixed."""
    red, green = np.meshgrid(np.linspace(0, 1, w), np.linspace(0, 1, h))
    return np.broadcast_to(np.stack([green, red, np.full((h, w), 0.3)], -1), (n, h, w, 3)).astype(np.float32)


@pytest.mark.parametrize('channels', [1, 3])
def test_figures_show_colour_in_colour_and_grey_in_grey(tmp_path, channels):
    x = colour_images(6, 27, 19)[..., :channels]
    vis = GMVAEVisualize(str(tmp_path), 'run')
    paths = [vis.reconstructions(x, x[::-1]), vis.samples(x), vis.test_images_by_cluster(x, np.arange(6) % 2, 2)]
    for path in paths:
        assert is_colour(read_rgb(path)) == (channels == 3), path
    assert is_colour(read_rgb(vis.reconstructions_with_clusters(x[:2], x[:2], [[0.3, 0.7], [1, 0]])))   # blue bars
    assert plt.get_fignums() == []


@pytest.mark.parametrize('h, w', [(8, 128), (128, 8), (128, 128)])
def test_grids_keep_the_aspect_and_a_png_pixel_per_image_pixel(tmp_path, h, w):
    rgb = read_rgb(bv.save_figure(bv.image_grid(colour_images(1, h, w)), str(tmp_path / 'one.png')))
    drawn = np.argwhere(rgb.min(axis=-1) < 0.99)   # not white: the image
    height, width = drawn.max(axis=0) - drawn.min(axis=0) + 1
    assert height >= h and width >= w and abs(height / width - h / w) < 0.1 * h / w


@pytest.mark.parametrize('h, w, channels', [(27, 19, 3), (27, 19, 1), (8, 13, None)])
def test_projector_sprite_of_any_size_and_colour(tmp_path, h, w, channels):
    rgb = colour_images(10, h, w)
    images = rgb if channels == 3 else rgb[..., 0] if channels is None else rgb[..., :1]
    write_projector(str(tmp_path), np.zeros((10, 2)), images, None)
    sprite = read_rgb(tmp_path / 'sprite.png')
    assert sprite.shape == (4 * h, 4 * w, 3)   # ceil(sqrt(10)) = 4 cells a side
    expected = rgb[1] if channels == 3 else np.repeat(rgb[1, ..., :1], 3, axis=-1)   # the first row's second cell
    np.testing.assert_allclose(sprite[:h, w:2 * w], expected, atol=0.5 / 255 + 1e-6)
    assert is_colour(sprite) == (channels == 3)
    (embedding,) = _config(tmp_path).embeddings
    assert list(embedding.sprite.single_image_dim) == [w, h]
