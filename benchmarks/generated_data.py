"""Image sets that the benchmarks generate, for clustering on data no preset was tuned on.

colour_shapes: 32x32 colour images of four shapes (disc, square, triangle, cross), each drawn in a
random colour, size and place on a random dark background. The class is the shape, which pixel
k-means does not find: it groups by colour and place.
"""
import os

import numpy as np
from PIL import Image, ImageDraw

SHAPES = ('disc', 'square', 'triangle', 'cross')


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


def colour_shapes(n, size=32, seed=0):
    """n images (n, size, size, 3) uint8 and their shape labels (n,) int64, balanced over SHAPES."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % len(SHAPES)
    rng.shuffle(labels)
    x = np.empty((n, size, size, 3), np.uint8)
    for i, k in enumerate(labels):
        background = tuple(int(v) for v in rng.integers(0, 70, 3))
        image = Image.new('RGB', (size, size), background)
        colour = tuple(int(v) for v in rng.integers(110, 256, 3))
        r = int(rng.integers(size // 6, size // 3))
        cx, cy = (int(v) for v in rng.integers(r, size - r, 2))
        _draw(ImageDraw.Draw(image), SHAPES[k], cx, cy, r, colour)
        x[i] = image
    return x, labels.astype(np.int64)


def write_folder(folder, x, y, names):
    """The images x (N, H, W, C) uint8 as PNG files in one subfolder per class: folder/<names[y]>/00000.png."""
    for i, (image, label) in enumerate(zip(x, y)):
        path = os.path.join(folder, names[label], f'{i:05d}.png')
        os.makedirs(os.path.dirname(path), exist_ok=True)
        Image.fromarray(image.squeeze(-1) if image.shape[-1] == 1 else image).save(path)
    return folder
