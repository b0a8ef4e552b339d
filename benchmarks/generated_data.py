"""Image sets that the benchmarks generate, for clustering on data no preset was tuned on.

colour_shapes: 32x32 colour images of four shapes (disc, square, triangle, cross), each drawn in a
random colour, size and place on a random dark background. The class is the shape, which pixel
k-means does not find: it groups by colour and place.

shapes_in_colours: 32x32 colour images whose class is a shape (disc, square, triangle) and a colour
(red, green, blue) together: nine classes. Each image varies its class's colour in brightness and tint,
and draws the shape at a random size and place on a random dark background.
"""
import os

import numpy as np
from PIL import Image, ImageDraw

SHAPES = ('disc', 'square', 'triangle', 'cross')
COLOURS = ('red', 'green', 'blue')
PLAIN_SHAPES = SHAPES[:3]   # shapes_in_colours' shapes: the cross is left out
COLOURED_SHAPES = tuple(f'{c}_{s}' for c in COLOURS for s in PLAIN_SHAPES)


def _draw(draw, shape, cx, cy, r, colour):
    if shape == 'disc':
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
    elif shape == 'square':
        draw.rectangle([cx - r, cy - r, cx + r, cy + r], fill=colour)
    elif shape == 'triangle':
        draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=colour)
    else:
        w = max(1, r // 3)
        draw.rectangle([cx - r, cy - w, cx + r, cy + w], fill=colour)
        draw.rectangle([cx - w, cy - r, cx + w, cy + r], fill=colour)


def _image(rng, size, shape, colour_of):
    """One (size, size, 3) image: `shape` filled with the colour colour_of(rng) (an RGB triple), at a random
    size and place on a random dark background."""
    background = tuple(int(v) for v in rng.integers(0, 70, 3))
    image = Image.new('RGB', (size, size), background)
    colour = tuple(int(v) for v in colour_of(rng))
    r = int(rng.integers(size // 6, size // 3))
    cx, cy = (int(v) for v in rng.integers(r, size - r, 2))
    _draw(ImageDraw.Draw(image), shape, cx, cy, r, colour)
    return np.asarray(image)


def _balanced(rng, n, classes):
    labels = np.arange(n) % classes
    rng.shuffle(labels)
    return labels.astype(np.int64)


def colour_shapes(n, size=32, seed=0):
    """n images (n, size, size, 3) uint8 and their shape labels (n,) int64, balanced over SHAPES."""
    rng = np.random.default_rng(seed)
    labels = _balanced(rng, n, len(SHAPES))
    x = np.empty((n, size, size, 3), np.uint8)
    for i, k in enumerate(labels):
        x[i] = _image(rng, size, SHAPES[k], lambda rng: rng.integers(110, 256, 3))
    return x, labels


def shapes_in_colours(n, size=32, seed=0):
    """n images (n, size, size, 3) uint8 and their labels (n,) int64, balanced over COLOURED_SHAPES: the
    class's colour channel between 150 and 255, the other two between 0 and 100."""
    rng = np.random.default_rng(seed)
    labels = _balanced(rng, n, len(COLOURED_SHAPES))
    x = np.empty((n, size, size, 3), np.uint8)
    for i, k in enumerate(labels):
        channel, shape = divmod(int(k), len(PLAIN_SHAPES))
        x[i] = _image(rng, size, PLAIN_SHAPES[shape], lambda rng: _tint(rng, channel))
    return x, labels


def _tint(rng, channel):
    rgb = rng.integers(0, 101, 3)
    rgb[channel] = rng.integers(150, 256)
    return rgb


def write_folder(folder, x, y, names):
    """The images x (N, H, W, C) uint8 as PNG files in one subfolder per class: folder/<names[y]>/00000.png."""
    for i, (image, label) in enumerate(zip(x, y)):
        path = os.path.join(folder, names[label], f'{i:05d}.png')
        os.makedirs(os.path.dirname(path), exist_ok=True)
        Image.fromarray(image.squeeze(-1) if image.shape[-1] == 1 else image).save(path)
    return folder
