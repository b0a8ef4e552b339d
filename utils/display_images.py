"""Images as the figures and the projector's sprite draw them: grey or colour, of any size."""
import numpy as np

SHAPES = '(N, H, W), (N, H, W, 1) or (N, H, W, 3)'


def as_images(images) -> np.ndarray:
    """Array-like of N images in [0, 1], shape (N, H, W), (N, H, W, 1) (grey) or (N, H, W, 3) (colour)
    -> float32 (N, H, W) grey or (N, H, W, 3) RGB images. Raises ValueError on other shapes."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 and not (images.ndim == 4 and images.shape[-1] == 3):
        raise ValueError(f'expected images of shape {SHAPES}, got {images.shape}')
    return images
