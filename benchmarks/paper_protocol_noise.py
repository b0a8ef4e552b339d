"""How far the GMVAE paper's clustering score moves for one trained model, with nothing but the random numbers.

The paper's protocol (utils.metrics.paper_accuracy) names each cluster after ONE test image: the
one most confident about it. This script restores finished clustering runs of benchmarks/quality.py
and scores their test set:

- at the posterior means of w and z (GMVAEGraph.cluster_log_odds): test/accuracy_paper, deterministic;
- on the model's posterior of the cluster, q(y|x) = E_q(w,z|x)[p(y|w,z)] (GMVAEModel.posterior_log_odds),
  estimated with S draws of (w, z) per image for each S in --samples, and drawn afresh --draws times.
  The draws differ in their random numbers only. At GMVAE_model.POSTERIOR_SAMPLES it is
  test/accuracy_paper_posterior.

Each score comes with the majority vote of the same assignments and with the number of clusters that
the protocol names after a label other than their majority's. The numbers go to --out as JSON.

    python benchmarks/paper_protocol_noise.py [--draws=5] [--samples=32,256] [--data_dir=../shared/data] \
        benchmarks/results/results_GMVC_..._bench_cnn_warm10_m2.json [more results JSONs]

The checkpoints must still be in --work (quality.py's work folder); the commands are the JSONs'.
"""
import argparse
import json
import logging
import os
import shlex
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.commands import recorded  # noqa: E402
from utils.args import parse_args, run_name  # noqa: E402
from utils.files import atomic_write_json, read_json  # noqa: E402
from utils.metrics import many_to_one_accuracy, paper_accuracy  # noqa: E402


def named_against_majority(y, log_odds):
    """Clusters in use whose most confident point's label is not the majority label of their points."""
    clusters = log_odds.argmax(axis=1)
    named = y[log_odds.argmax(axis=0)]                         # (K,)
    return sum(int(named[k] != np.bincount(y[clusters == k]).argmax()) for k in np.unique(clusters))


def scores(y, log_odds):
    """The paper's protocol, the majority vote and the misnamed clusters for one (N, K) confidence matrix."""
    return {'paper': paper_accuracy(y, log_odds), 'majority': many_to_one_accuracy(y, log_odds.argmax(axis=1)),
            'misnamed_clusters': named_against_majority(y, log_odds)}


def restore(command, work, data_dir):
    """The GMVAEModel of a results JSON's command, with its checkpoint restored from `work`."""
    import keras
    import tensorflow as tf

    from Alg_GMVAE.GMVAECNN_graph import GMVAECNNGraph
    from Alg_GMVAE.GMVAE_graph import GMVAEGraph
    from Alg_GMVAE.GMVAE_model import GMVAEModel
    from base import threads
    from base.base_model import RunPaths
    from utils.data import load_dataset

    argv = shlex.split(command)[2:] + ['--train=0', f'--data_dir={data_dir}', f'--checkpoint_dir={work}/checkpoint',
                                       f'--log_dir={work}/summary', f'--result_dir={work}/results']
    args = parse_args('GMVAE', argv)
    dataset = load_dataset(args.dataset_name, args.data_dir)
    threads.configure(args, dataset.image_shape)   # as base/runner.py does
    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()
    graph = {2: GMVAEGraph, 3: GMVAECNNGraph}[args.model_type].from_args(args, dataset.image_shape)
    model = GMVAEModel(graph, args, dataset, RunPaths.from_args(run_name(args), args), logging.getLogger('noise'))
    model.restore(required=True)
    return model


def measure(path, work, data_dir, sample_counts, draws):
    """The scores of one results JSON's checkpoint: at the means, and `draws` times per sample count on q(y|x)."""
    report = read_json(path)
    model = restore(report['command'], work, data_dir)
    y = model.data.test.y
    result = {'results': os.path.basename(path), 'reported_accuracy_paper': report['test/accuracy_paper'],
              'at_means': scores(y, model.predict(model.graph.cluster_log_odds, model.x_test).astype(np.float64)),
              'posterior': {}}
    for samples in sample_counts:
        runs = [scores(y, model.posterior_log_odds(model.x_test, samples, key=draw)) for draw in range(draws)]
        paper = [s['paper'] for s in runs]
        result['posterior'][str(samples)] = {
            'draws': runs, 'paper_mean': float(np.mean(paper)), 'paper_std': float(np.std(paper, ddof=1)),
            'paper_min': min(paper), 'paper_max': max(paper)}
        print(f"{result['results']}: at the means {result['at_means']['paper']:.4f} (reported "
              f"{result['reported_accuracy_paper']:.4f}); q(y|x) from {samples} draws, {draws} times: "
              f"{np.mean(paper):.4f} +- {np.std(paper, ddof=1):.4f} ({min(paper):.4f} to {max(paper):.4f})",
              flush=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('results', nargs='+', help='results JSONs of GMVAE runs of benchmarks/quality.py')
    parser.add_argument('--work', default='benchmarks/results/quality_run', help="quality.py's work folder")
    parser.add_argument('--data_dir', default='../shared/data')
    parser.add_argument('--samples', default='32,256', help='draws of (w, z) per image in q(y|x), comma-separated')
    parser.add_argument('--draws', type=int, default=5, help='fresh estimates of q(y|x) per run and sample count')
    parser.add_argument('--out', default='benchmarks/results/paper_protocol_noise.json')
    args = parser.parse_args()
    try:
        sample_counts = [int(v) for v in args.samples.split(',')]
    except ValueError:
        parser.error(f'--samples must be integers separated by commas, got {args.samples!r}')
    if min(sample_counts) < 1 or args.draws < 2:
        parser.error('--samples must be at least 1 and --draws at least 2')
    for path in args.results:
        if not os.path.isfile(path) or 'test/accuracy_paper' not in read_json(path):
            parser.error(f"'{path}' is not the results JSON of a GMVAE run of benchmarks/quality.py")
    from base.base_model import RunError
    try:
        runs = [measure(path, args.work, args.data_dir, sample_counts, args.draws) for path in args.results]
    except RunError as err:   # e.g. the checkpoint is no longer in --work
        sys.exit(f'error: {err}')
    report = {'command': recorded('benchmarks/paper_protocol_noise.py', sys.argv[1:]),
              'runs': runs}
    atomic_write_json(args.out, report)
    print(json.dumps(report, indent=1))


if __name__ == '__main__':
    main()
