"""The spec's two example commands, run as written (plus --data_dir and the output folders).

    python benchmarks/spec_examples.py [--data_dir=../shared/data] [--figures=imgs] [-- extra flags]

1. VAE_main.py, dense VAE on MNIST (sigma 0.001, l_rate 0.01, drop_prob 0.3, 20 epochs);
2. GMVAE_main.py, CNN GMVAE on the Frey faces (K = 8), trained (--train=1), then the spec's own
   results-only command (--train=0) on the checkpoint.

It prints the validation loss of every epoch, and for the GMVAE how much its samples vary within a
cluster: the per-pixel standard deviation of 100 samples of each cluster, averaged over pixels and
clusters, against the same spread of the training faces assigned to each cluster (a ratio near 0
means each cluster draws one face). Everything goes to benchmarks/results/spec_examples.json; with
--figures the runs' figures named in FIGURES are copied there (the README and docs/spec-examples.md
show them from imgs/).
Flags after `--` are appended to both commands (e.g. `-- --seed=1`). About 3 minutes on 2 CPU cores.
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import GMVAE_main  # noqa: E402
import VAE_main  # noqa: E402
from benchmarks.commands import ROOT, recorded  # noqa: E402
from utils.args import parse_args, run_name  # noqa: E402
from utils.files import atomic_write_json, read_json  # noqa: E402

VAE_COMMAND = ('--model_type=0 --dataset_name=MNIST --sigma=0.001 --z_dim=8 --hidden_dim=64 --num_layers=2 '
               '--epochs=20 --batch_size=32 --drop_prob=0.3 --l_rate=0.01 --train=1 --results=1 --plot=1 '
               '--restore=1 --early_stopping=1')
GMVAE_COMMAND = ('--model_type=3 --dataset_name=FREY --sigma=0.001 --z_dim=8 --w_dim=2 --K_clusters=8 '
                 '--hidden_dim=64 --num_layers=2 --epochs=20 --batch_size=32 --drop_prob=0.3 --l_rate=0.01 '
                 '--train={train} --results=1 --plot=1 --restore=1 --early_stopping=1')
# Figures copied to --figures, as spec_<family>_<figure>.png.
FIGURES = {'VAE': ('samples', 'reconstructions', 'losses'),
           'GMVAE': ('generated_clusters', 'reconstructions', 'test_images_by_cluster', 'losses')}
DIVERSITY_SAMPLES = 100


def within_cluster_spread(images, clusters, K):
    """Mean over the clusters in use of the per-pixel std of their images: (N, H, W, C), (N,) -> float."""
    spreads = [images[clusters == k].std(axis=0).mean() for k in range(K) if (clusters == k).sum() > 1]
    return float(sum(spreads) / len(spreads))


def sample_diversity(argv):
    """Spread of each cluster's samples against that of the training faces it is assigned (see the docstring)."""
    import numpy as np

    from Alg_GMVAE.GMVAECNN_graph import GMVAECNNGraph
    from Alg_GMVAE.GMVAE_model import GMVAEModel
    from base.base_model import RunPaths
    from utils.data import load_dataset
    from utils.logger import get_logger

    args = parse_args('GMVAE', argv)
    name = run_name(args)
    dataset = load_dataset(args.dataset_name, args.data_dir)
    graph = GMVAECNNGraph.from_args(args, dataset.image_shape)
    model = GMVAEModel(graph, args, dataset, RunPaths.from_args(name, args), get_logger(name))
    model.restore(required=True)
    K = args.K_clusters
    samples = np.stack([np.asarray(graph.sample_cluster(DIVERSITY_SAMPLES, k)) for k in range(K)])
    sample_spread = float(np.mean([samples[k].std(axis=0).mean() for k in range(K)]))
    x = dataset.train.x
    data_spread = within_cluster_spread(x, model.predict(graph.cluster_probabilities, x).argmax(axis=1), K)
    return {'sample_spread': sample_spread, 'data_spread': data_spread, 'ratio': sample_spread / data_spread}


def run(family, main, command, folders, extra):
    """Run one command; returns its argv, wall time and the validation loss of every epoch."""
    argv = command.split() + folders + extra
    start = time.time()
    status = main(argv)
    if status:
        sys.exit(f'{family}_main.py {" ".join(argv)} ended with status {status}')
    args = parse_args(family, argv)
    history = read_json(os.path.join(args.checkpoint_dir, run_name(args), 'history.json'))['history']
    return {'command': recorded(f'{family}_main.py', argv), 'wall_seconds': time.time() - start,
            'valid_loss': history.get('valid/loss', [])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data_dir', default='../shared/data')
    parser.add_argument('--out', default='benchmarks/results/spec_examples.json')
    parser.add_argument('--figures', help='folder to copy the figures to (e.g. imgs)')
    parser.add_argument('extra', nargs='*', help='flags appended to both commands')
    args = parser.parse_args()
    # A scratch folder under experiments/ (ignored by git), so that the recorded commands name it relative to the
    # repository.
    work = tempfile.mkdtemp(prefix='spec_examples_', dir=os.path.join(ROOT, 'experiments'))
    folders = [f'--data_dir={args.data_dir}', f'--checkpoint_dir={work}/checkpoint', f'--log_dir={work}/summary',
               f'--result_dir={work}/results']
    report = {'VAE': run('VAE', VAE_main.run, VAE_COMMAND, folders, args.extra),
              'GMVAE': run('GMVAE', GMVAE_main.run, GMVAE_COMMAND.format(train=1), folders, args.extra)}
    report['GMVAE_results_only'] = run('GMVAE', GMVAE_main.run, GMVAE_COMMAND.format(train=0), folders, args.extra)
    del report['GMVAE_results_only']['valid_loss']   # the same history: nothing was trained
    gmvae_argv = GMVAE_COMMAND.format(train=0).split() + folders + args.extra
    report['GMVAE']['sample_diversity'] = sample_diversity(gmvae_argv)
    for family, command in (('VAE', VAE_COMMAND), ('GMVAE', GMVAE_COMMAND.format(train=0))):
        name = run_name(parse_args(family, command.split() + folders + args.extra))
        report[family]['test_metrics'] = read_json(os.path.join(work, 'results', name, 'metrics.json'))
        if args.figures:
            os.makedirs(args.figures, exist_ok=True)
            for figure in FIGURES[family]:
                shutil.copy(os.path.join(work, 'results', name, f'{name}_{figure}.png'),
                            os.path.join(args.figures, f'spec_{family.lower()}_{figure}.png'))
    for family in ('VAE', 'GMVAE'):
        losses = report[family]['valid_loss']
        best = min(range(len(losses)), key=losses.__getitem__)
        print(f'{family}: validation loss per epoch (nats): ' + ', '.join(f'{v:.1f}' for v in losses))
        print(f'{family}: best {losses[best]:.1f} at epoch {best + 1} of {len(losses)}')
    diversity = report['GMVAE']['sample_diversity']
    print(f"GMVAE: within-cluster pixel std of samples {diversity['sample_spread']:.4f}, of the training faces "
          f"{diversity['data_spread']:.4f} (ratio {diversity['ratio']:.2f})")
    atomic_write_json(args.out, report)
    print(f'Wrote {args.out}')
    shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
