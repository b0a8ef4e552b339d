"""Shared figure code for the VAE and GMVAE visualisers: numpy arrays in, PNG files out.

The module-level functions build matplotlib figures (``image_grid``, ``reconstruction_figure``,
``latent_scatter``, ``loss_curves``, ``bar_chart``, ``count_matrix``), ``project_to_2d`` turns latent codes into
2-D points, and ``save_figure`` writes a figure atomically and closes it. ``BaseVisualize``
composes them into one-call methods that the algorithm-specific visualisers extend.

Images are (N, H, W[, C]) arrays of any H and W with values in [0, 1]: C = 1 (or no channel axis) is drawn
in grey, C = 3 in colour (``draw_image``), without ticks and with at least one PNG pixel per image pixel.
"""
import math
import os
import sys
import uuid

import matplotlib

matplotlib.use('Agg')

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402

from utils.clusterers import tsne  # noqa: E402
from utils.display_images import as_images  # noqa: E402

DPI = 120
MAX_FIGURE_WIDTH = 12.0  # inches, unless the images need more to keep one PNG pixel to each of theirs
CELL_WIDTH = 1.0         # inches: the width of an image in a grid of up to 12 columns
MAX_CELL_HEIGHT = 1.5    # inches: taller images are drawn narrower (FREY's 28x20 at 1.4 inches is not)
RECONSTRUCTION_COLUMNS = 10
LEGEND_MAX_CATEGORIES = 10  # more categories than this get a colorbar instead of a legend


def save_figure(fig: Figure, path: str) -> str:
    """Save `fig` as a PNG at `path` atomically, creating parent folders, then close `fig`.

    The PNG is written to a hidden temporary file in the same folder and moved into place with
    os.replace, so `path` is either the old file or the complete new one, never half-written.
    """
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f'.{os.path.basename(path)}.{uuid.uuid4().hex}.tmp')
    try:
        os.makedirs(folder, exist_ok=True)
        with open(tmp, 'wb') as f:
            fig.savefig(f, format='png', dpi=DPI, bbox_inches='tight')
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def draw_image(ax, image):
    """Draw one image on `ax`: (H, W) in grey or (H, W, 3) in colour, values in [0, 1], unsmoothed."""
    ax.imshow(image, cmap='gray' if image.ndim == 2 else None, vmin=0.0, vmax=1.0, interpolation='nearest')


def cell_size(height: int, width: int, ncols: int) -> tuple[float, float]:
    """(width, height) in inches of each H x W image in a grid of `ncols` columns.

    CELL_WIDTH wide, narrower for images taller than MAX_CELL_HEIGHT and for grids wider than
    MAX_FIGURE_WIDTH, but never under one PNG pixel (1 / DPI inch) per image pixel.
    """
    inches_per_pixel = max(min(CELL_WIDTH / width, MAX_CELL_HEIGHT / height, MAX_FIGURE_WIDTH / (ncols * width)),
                           1 / DPI)
    return width * inches_per_pixel, height * inches_per_pixel


def draw_grid(cells, nrows: int, ncols: int, title: str, row_titles=None, height_ratios=None) -> Figure:
    """Grid figure of `cells`: a row-major list of images (H, W) or (H, W, 3), None for an empty cell.

    `row_titles` labels each row ('' for none); `height_ratios` scales rows (1 = an image row).
    """
    if row_titles is not None and len(row_titles) != nrows:
        raise ValueError(f'{len(row_titles)} row titles for {nrows} rows')
    height_ratios = height_ratios or [1.0] * nrows
    cell_w, cell_h = cell_size(*next(c for c in cells if c is not None).shape[:2], ncols)
    title_h = 0.4 if title else 0.0  # inches above the grid
    fig_h = sum(height_ratios) * cell_h + title_h
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, figsize=(ncols * cell_w, fig_h),
                             gridspec_kw=dict(wspace=0.05, hspace=0.05, height_ratios=height_ratios,
                                              left=0, right=1, bottom=0, top=1 - title_h / fig_h))
    for ax, cell in zip(axes.flat, cells + [None] * (nrows * ncols - len(cells))):
        if cell is not None:
            draw_image(ax, cell)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_frame_on(False)
    for ax, row_title in zip(axes[:, 0], row_titles or []):
        ax.set_ylabel(row_title, rotation=0, ha='right', va='center', fontsize=9)
    if title:
        fig.suptitle(title, y=1 - 0.08 / fig_h, va='top')
    return fig


def image_grid(images, nrows: int | None = None, ncols: int | None = None, title: str = '',
               row_titles: list[str] | None = None) -> Figure:
    """Grid of N images (N, H, W[, C]) in [0, 1], square-ish unless given.

    Give `nrows`, `ncols` or both (nrows * ncols >= N); `row_titles` has one label per row.
    """
    images = as_images(images)
    n = len(images)
    if n == 0:
        raise ValueError('no images to draw')
    if ncols is None:
        ncols = math.ceil(n / nrows) if nrows else math.ceil(math.sqrt(n))
    if nrows is None:
        nrows = math.ceil(n / ncols)
    if nrows * ncols < n:
        raise ValueError(f'{n} images do not fit a {nrows}x{ncols} grid')
    return draw_grid(list(images), nrows, ncols, title, row_titles)


def reconstruction_figure(originals, reconstructions, title: str = 'Reconstructions') -> Figure:
    """Inputs over their reconstructions; both (N, H, W[, C]) in [0, 1].

    Up to 10 images per row; for N > 10 the figure stacks several 'input'/'reconstruction' row pairs.
    """
    originals, reconstructions = as_images(originals), as_images(reconstructions)
    if originals.shape != reconstructions.shape:
        raise ValueError(f'shape mismatch: {originals.shape} vs {reconstructions.shape}')
    n = len(originals)
    ncols = min(n, RECONSTRUCTION_COLUMNS)
    cells, row_titles, height_ratios = [], [], []
    for start in range(0, n, ncols):
        if start:  # a thin empty row separates the pairs
            cells += [None] * ncols
            row_titles.append('')
            height_ratios.append(0.25)
        for batch in (originals, reconstructions):
            row = list(batch[start:start + ncols])
            cells += row + [None] * (ncols - len(row))
        row_titles += ['input', 'reconstruction']
        height_ratios += [1.0, 1.0]
    return draw_grid(cells, len(row_titles), ncols, title, row_titles, height_ratios)


def latent_scatter(points, colours=None, title: str = 'Latent space', colour_label: str = 'label',
                   method_note: str = '') -> Figure:
    """Scatter of 2-D points (N, 2), coloured by the categorical values `colours` (N,) if given.

    Up to 10 categories get tab10 colours and a legend; more get a discrete colorbar (tab20, or
    an evenly resampled 'turbo' beyond 20 categories). `method_note` (e.g. 't-SNE') goes into
    the axis labels.
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f'expected points of shape (N, 2), got {points.shape}')
    if colours is not None:
        colours = np.asarray(colours).reshape(-1)
        if len(colours) != len(points):
            raise ValueError(f'{len(colours)} colours for {len(points)} points')
    size = float(np.clip(20000 / max(len(points), 1), 4, 30))
    fig, ax = plt.subplots(figsize=(7, 6), layout='constrained')
    if colours is None:
        ax.scatter(points[:, 0], points[:, 1], s=size, alpha=0.7, linewidths=0)
    else:
        categories, codes = np.unique(colours, return_inverse=True)
        k = len(categories)
        if k <= LEGEND_MAX_CATEGORIES:
            cmap = matplotlib.colormaps['tab10']
            for code, category in enumerate(categories):
                mask = codes == code
                ax.scatter(points[mask, 0], points[mask, 1], s=size, alpha=0.7, linewidths=0,
                           color=cmap(code), label=str(category))
            ax.legend(title=colour_label, loc='upper left', bbox_to_anchor=(1.01, 1.0),
                      markerscale=max(1.0, 30 / size) ** 0.5, frameon=False)
        else:
            base = matplotlib.colormaps['tab20'] if k <= 20 else matplotlib.colormaps['turbo']
            cmap = ListedColormap(base(np.arange(k) if k <= 20 else np.linspace(0, 1, k)))
            norm = BoundaryNorm(np.arange(k + 1) - 0.5, k)
            sc = ax.scatter(points[:, 0], points[:, 1], c=codes, cmap=cmap, norm=norm, s=size,
                            alpha=0.7, linewidths=0)
            ticks = np.arange(0, k, math.ceil(k / 20))  # at most 20 tick labels
            cbar = fig.colorbar(sc, ax=ax, ticks=ticks)
            cbar.ax.set_yticklabels([str(categories[t]) for t in ticks])
            cbar.set_label(colour_label)
    note = f' ({method_note})' if method_note else ''
    ax.set_xlabel(f'dimension 1{note}')
    ax.set_ylabel(f'dimension 2{note}')
    ax.set_title(title)
    return fig


def project_to_2d(z, method: str = 'auto', seed: int = 0,
                  max_points: int = 2000) -> tuple[np.ndarray, np.ndarray, str]:
    """Project latent codes z (N, D) to 2-D for plotting.

    Rows are first subsampled (seeded, order kept) to at most `max_points`. D == 1 gets a zero
    second column ('zero-padded'), D == 2 is kept ('identity'); D > 2 uses t-SNE ('auto' or
    'tsne', init='pca') or PCA ('pca'). Returns (points (M, 2), indices (M,) of the rows of `z`
    that were kept, method name: 't-SNE', 'PCA', 'identity', 'zero-padded', or 'constant' when every
    row of a D > 2 `z` is the same (then all points are at 0; sklearn's t-SNE crashes on such input).
    """
    if method not in ('auto', 'tsne', 'pca'):
        raise ValueError(f"method must be 'auto', 'tsne' or 'pca', got {method!r}")
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2 or len(z) == 0:
        raise ValueError(f'expected z of shape (N, D) with N > 0, got {z.shape}')
    indices = np.arange(len(z))
    if len(z) > max_points:
        indices = np.sort(np.random.default_rng(seed).choice(len(z), size=max_points, replace=False))
    z = z[indices]
    if z.shape[1] == 1:
        return np.hstack([z, np.zeros_like(z)]), indices, 'zero-padded'
    if z.shape[1] == 2:
        return z, indices, 'identity'
    if not np.ptp(z, axis=0).any():   # one code for every image (a collapsed posterior)
        return np.zeros((len(z), 2)), indices, 'constant'
    if method == 'pca':
        return PCA(n_components=2, random_state=seed).fit_transform(z), indices, 'PCA'
    return tsne(z, seed), indices, 't-SNE'


def loss_curves(history: dict[str, list[float]], title: str = 'Training curves') -> Figure:
    """One subplot per loss term, with train and valid curves against epoch (1-based).

    `history` maps 'split/term' (e.g. 'train/loss', 'valid/kl_z') to per-epoch values; a key
    without '/' is a term drawn as one line named after the key.
    """
    if not history:
        raise ValueError('empty history')
    terms: dict[str, list[tuple[str, list[float]]]] = {}
    for key, values in history.items():
        split, _, term = key.rpartition('/')
        terms.setdefault(term, []).append((split or key, list(values)))
    ncols = min(3, len(terms))
    nrows = math.ceil(len(terms) / ncols)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, figsize=(4.2 * ncols, 3.2 * nrows + 0.4),
                             layout='constrained')
    epochs_max = max(len(values) for curves in terms.values() for _, values in curves)
    for ax, (term, curves) in zip(axes.flat, terms.items()):
        for split, values in curves:
            epochs = np.arange(1, len(values) + 1)
            ax.plot(epochs, values, label=split, marker='o' if len(values) <= 50 else None, markersize=4)
        ax.set_title(term)
        ax.set_xlabel('epoch')
        ax.set_ylabel('nats')
        ax.set_xlim(0.5, epochs_max + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        ax.grid(alpha=0.3)
        ax.legend()
    for ax in axes.flat[len(terms):]:
        ax.axis('off')
    fig.suptitle(title)
    return fig


def bar_chart(values, labels, title: str, xlabel: str, ylabel: str) -> Figure:
    """Bar chart of `values` (K,) with one label each in `labels` (K,), e.g. cluster usage."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    labels = [str(label) for label in labels]
    if len(labels) != len(values):
        raise ValueError(f'{len(labels)} labels for {len(values)} values')
    fig, ax = plt.subplots(figsize=(min(max(5.0, 0.35 * len(values) + 1.5), 16.0), 4), layout='constrained')
    positions = np.arange(len(values))
    ax.bar(positions, values, color='tab:blue')
    ax.set_xticks(positions, labels, rotation=90 if len(values) > 20 else 0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(axis='y', alpha=0.3)
    return fig


def count_matrix(counts, row_labels, col_labels, title: str, xlabel: str, ylabel: str) -> Figure:
    """Heat map of a matrix of counts (R, C), each cell annotated with its count, e.g. a confusion matrix."""
    counts = np.asarray(counts)
    if counts.shape != (len(row_labels), len(col_labels)):
        raise ValueError(f'{counts.shape} counts for {len(row_labels)} row and {len(col_labels)} column labels')
    rows, cols = counts.shape
    fig, ax = plt.subplots(figsize=(min(max(4.0, 0.5 * cols + 2.0), 16.0), min(max(3.0, 0.4 * rows + 1.5), 16.0)),
                           layout='constrained')
    image = ax.imshow(counts, cmap='Blues', aspect='auto', vmin=0)
    fig.colorbar(image, ax=ax, label='count')
    dark = counts.max(initial=0) / 2
    for (r, c), value in np.ndenumerate(counts):
        ax.text(c, r, str(value), ha='center', va='center', fontsize=7 if max(rows, cols) > 15 else 9,
                color='white' if value > dark else 'black')
    ax.set_xticks(range(cols), [str(label) for label in col_labels])
    ax.set_yticks(range(rows), [str(label) for label in row_labels])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return fig


class BaseVisualize:
    """Saves a model's figures as '{result_dir}/{model_name}_{figure_name}.png'.

    Subclasses add algorithm-specific figures built from the module functions plus `save`.
    """

    def __init__(self, result_dir: str, model_name: str):
        self.result_dir = result_dir
        self.model_name = model_name
        self._projections = {}   # 2-D projections of latent codes, by (codes, seed, method)

    def path(self, figure_name: str) -> str:
        """Where the figure `figure_name` is saved."""
        return os.path.join(self.result_dir, f'{self.model_name}_{figure_name}.png')

    def save(self, fig: Figure, figure_name: str) -> str:
        """Save (and close) `fig` as `figure_name`; returns its path."""
        return save_figure(fig, self.path(figure_name))

    def reconstructions(self, x, x_rec) -> str:
        """Inputs x and reconstructions x_rec, (N, H, W[, C]) each -> '..._reconstructions.png'."""
        return self.save(reconstruction_figure(x, x_rec), 'reconstructions')

    def samples(self, x_samples, title: str = 'Samples from the prior') -> str:
        """Generated images (N, H, W[, C]) in a square-ish grid -> '..._samples.png'."""
        return self.save(image_grid(x_samples, title=title), 'samples')

    def interpolations(self, images) -> str:
        """Decoded linear paths in latent space, (P, S, H, W[, C]): one row per pair of test images,
        S steps from the reconstruction of the first image to that of the second -> '..._interpolations.png'.
        """
        images = np.asarray(images)
        pairs, steps = images.shape[:2]
        fig = image_grid(images.reshape((pairs * steps,) + images.shape[2:]), nrows=pairs, ncols=steps,
                         title='Interpolation between the latent means of pairs of test images')
        return self.save(fig, 'interpolations')

    def latent_space(self, z, labels=None, name: str = 'latent_space', title: str = 'Latent space of the test set',
                     colour_label: str = 'label', seed: int = 0, method: str = 'auto') -> str:
        """Latent codes z (N, D), projected to 2-D (see project_to_2d), coloured by labels (N,) if given."""
        key = (np.asarray(z).tobytes(), seed, method)
        if key not in self._projections:   # t-SNE is slow: colour the same projection several ways
            self._projections[key] = project_to_2d(z, method=method, seed=seed)
        points, kept, projection = self._projections[key]
        colours = None if labels is None else np.asarray(labels).reshape(-1)[kept]
        note = projection if projection in ('t-SNE', 'PCA') else ''  # raw latent dimensions need no note
        return self.save(latent_scatter(points, colours, title, colour_label, note), name)

    def scatter(self, codes, labels=None, colour_label: str = 'label', symbol: str = 'z', seed: int = 0) -> str:
        """The original's 'Scatter Plot of z' (or of w): the codes (N, D) themselves when D <= 2, else their
        first two principal components, coloured by labels (N,) -> '..._scatter_{symbol}.png'."""
        return self.latent_space(codes, labels, name=f'scatter_{symbol}', title=f'Scatter Plot of {symbol}',
                                 colour_label=colour_label, seed=seed, method='pca')

    def losses(self, history: dict[str, list[float]]) -> str:
        """Per-epoch loss terms (see loss_curves) -> '..._losses.png'."""
        return self.save(loss_curves(history), 'losses')


def display_problem() -> str | None:
    """Why figures cannot be shown on screen here (no display, no GUI backend), or None when they can."""
    if sys.platform.startswith('linux') and not (os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY')):
        return 'no display (DISPLAY is not set)'
    for backend in ('QtAgg', 'TkAgg', 'MacOSX', 'GTK4Agg', 'GTK3Agg'):
        try:
            plt.switch_backend(backend)
            return None
        except (ImportError, RuntimeError, ValueError):
            continue
    return 'no GUI backend for matplotlib (install tkinter or PyQt)'


def show_figures(paths) -> str | None:
    """Show the saved PNG figures `paths` on screen, one window each, until they are closed (as the original's
    plt.show()). Returns None when shown, or why they cannot be shown (see display_problem)."""
    problem = display_problem()
    if problem:
        return problem
    try:
        for path in paths:
            image = plt.imread(path)
            fig = plt.figure(figsize=(image.shape[1] / DPI, image.shape[0] / DPI), dpi=DPI)
            fig.canvas.manager.set_window_title(os.path.basename(path))
            fig.figimage(image)
        plt.show()
    finally:
        plt.close('all')
        plt.switch_backend('Agg')
    return None
