"""The CNN GMVAE against k-means on the pixels, on a colour set that no preset was tuned on (issue 22).

    python benchmarks/colour_shapes.py [--images=4000] [--epochs=30] [--seed=0] [-- main flags]

Writes `colour_shapes` (benchmarks/generated_data.py: four shapes in random colours, sizes and places,
32x32) as PNG files in one folder per shape, trains `GMVAE_main.py --model_type=3 --dataset_name=colour_shapes
--K_clusters=4 --results=1` on it through the folder route, and scores k-means (k = 4, on the raw
pixels of the training images, then applied to the test images) on the same test split. Writes
benchmarks/results/colour_shapes.json and copies the run's figure of test images by cluster into imgs/.
"""
import argparse
import json
import os
import shutil
import sys
import time


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.generated_data import SHAPES, colour_shapes, write_folder  # noqa: E402
from utils.files import atomic_write_json, read_json  # noqa: E402

NAME = 'colour_shapes'
OUT = os.path.join(ROOT, 'benchmarks', 'results', f'{NAME}.json')
FIGURE = os.path.join(ROOT, 'imgs', f'{NAME}_test_images_by_cluster.png')


def kmeans_scores(dataset, seed):
    """k-means on the pixels of the training images, scored on the test images (utils.metrics)."""
    from utils.clusterers import kmeans
    from utils.metrics import clustering_scores

    fitted = kmeans(dataset.train.x, len(SHAPES), seed)
    return clustering_scores(dataset.test.y, fitted.predict(dataset.test.x.reshape(len(dataset.test.x), -1)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--images', type=int, default=4000)
    parser.add_argument('--epochs', type=int, default=30)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--work', default='experiments/colour_shapes_bench')
    parser.add_argument('overrides', nargs='*', help='main flags added to the command (after --)')
    args = parser.parse_args()
    import GMVAE_main
    from utils.args import original_flags, parse_args, run_name
    from utils.data import load_dataset

    data_dir = os.path.join(args.work, 'data')
    if not os.path.isdir(os.path.join(data_dir, NAME)):
        x, y = colour_shapes(args.images, seed=args.seed)
        write_folder(os.path.join(data_dir, NAME), x, y, SHAPES)
    argv = ['--model_type=3', f'--dataset_name={NAME}', f'--data_dir={data_dir}', '--K_clusters=4', '--results=1',
            *original_flags('epochs'), f'--epochs={args.epochs}', f'--seed={args.seed}', '--overwrite=1',
            f'--checkpoint_dir={args.work}/checkpoint',
            f'--log_dir={args.work}/summary', f'--result_dir={args.work}/results', *args.overrides]
    start = time.time()
    status = GMVAE_main.run(argv)
    if status:
        sys.exit(status)
    minutes = (time.time() - start) / 60
    name = run_name(parse_args('GMVAE', argv))
    metrics = read_json(os.path.join(args.work, 'results', name, 'metrics.json'))
    baseline = kmeans_scores(load_dataset(NAME, data_dir, progress=False), args.seed)
    shutil.copyfile(os.path.join(args.work, 'results', name, f'{name}_test_images_by_cluster.png'), FIGURE)
    report = {
        'command': 'python benchmarks/colour_shapes.py ' + ' '.join(
            [f'--images={args.images}', f'--epochs={args.epochs}', f'--seed={args.seed}']
            + (['--', *args.overrides] if args.overrides else [])),
        'main_command': 'python GMVAE_main.py ' + ' '.join(argv),
        'images': args.images, 'minutes': round(minutes, 1), 'figure': os.path.relpath(FIGURE, ROOT),
        'gmvae': {k.split('/', 1)[1]: metrics[k] for k in sorted(metrics) if k.startswith('test/')},
        'kmeans_pixels': baseline,
    }
    atomic_write_json(OUT, report)
    print(json.dumps({k: report[k] for k in ('minutes', 'kmeans_pixels')}, indent=1))
    print({k: report['gmvae'][k] for k in ('accuracy_hungarian', 'accuracy_paper', 'nmi', 'clusters_in_use')})


if __name__ == '__main__':
    main()
