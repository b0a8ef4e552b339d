"""The README's tables beside the papers': GMVAE clustering on MNIST and VAE/IWAE test NLL.

    python benchmarks/paper_tables.py [--results=benchmarks/results]

Reads every `results_*.json` that benchmarks/quality.py wrote in --results, groups the runs that
differ only in --seed, prints one Markdown table per paper with mean ± std over the seeds, and
writes them with the commands of every run to `paper_tables.json` in the same folder.

Paper numbers (MNIST test set):
- Dilokthanakul et al. (2016), Table 1, clustering accuracy by the protocol of Makhzani et al.:
  K=16 87.82 ± 5.33 %, K=30 92.77 ± 1.60 % (GMVAE, M=10 Monte Carlo samples).
- Burda et al. (2016), Table 1, one stochastic layer, test NLL with k=5000 importance samples:
  VAE k=1 86.76 nats, IWAE k=5 85.54, IWAE k=50 84.78.
"""
import argparse
import glob
import json
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from utils.files import atomic_write_json  # noqa: E402

PAPER_CLUSTERING = {16: '87.82 ± 5.33', 30: '92.77 ± 1.60'}
PAPER_NLL = {1: 86.76, 5: 85.54, 50: 84.78}
NETWORK = {0: 'dense', 1: 'CNN', 2: 'dense', 3: 'CNN'}


def flags(command):
    """The --name=value flags of a command line, the last value of each: {name: value}."""
    return dict(re.findall(r'--(\w+)=(\S+)', command))


def setting(command):
    """The run's flags without --seed and the seed suffix of --extra: runs of one setting share it."""
    f = flags(command)
    f.pop('seed', None)
    f['extra'] = re.sub(r'_seed\d+$', '', f.get('extra', ''))
    for folder in ('checkpoint_dir', 'log_dir', 'result_dir', 'data_dir'):
        f.pop(folder, None)
    return tuple(sorted(f.items()))


def mean_std(values, scale=1.0, digits=1):
    values = [v * scale for v in values]
    if len(values) == 1:
        return f'{values[0]:.{digits}f}'
    return f'{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}'


def available_mean_std(values, scale=1.0):
    """mean_std of the runs that have a value, saying how many when not all; a dash when none has."""
    have = [v for v in values if v is not None]
    if not have:
        return '—'
    text = mean_std(have, scale)
    return text if len(have) == len(values) else f'{text} ({len(have)} of {len(values)} runs)'


def groups(folder):
    """{setting: [report, ...]} of every quality report in folder, each report with its file name."""
    out = {}
    for path in sorted(glob.glob(os.path.join(folder, 'results_*.json'))):
        with open(path) as f:
            report = json.load(f)
        if 'command' in report:
            out.setdefault(setting(report['command']), []).append(dict(report, file=os.path.basename(path)))
    return out


def row(reports):
    """The summary of the runs of one setting: a dict of means, stds and what produced them."""
    f = flags(reports[0]['command'])
    model_type = int(f['model_type'])
    summary = {'model_type': model_type, 'network': NETWORK[model_type], 'extra': f.get('extra', ''),
               'seeds': sorted(int(flags(r['command'])['seed']) for r in reports),
               'files': [r['file'] for r in reports], 'commands': [r['command'] for r in reports],
               'epochs': [r['epochs'] for r in reports],
               'minutes_per_run': [round(r['wall_seconds'] / 60, 1) for r in reports],
               'nll': [r['test/nll_iwae'] for r in reports if 'test/nll_iwae' in r],
               'nll_stderr': [r['test/nll_iwae_stderr'] for r in reports if 'test/nll_iwae_stderr' in r],
               'iw_samples': sorted({r.get('test/iw_samples') for r in reports} - {None}),
               'iw_images': sorted({r.get('test/iw_images') for r in reports} - {None}),
               'iw_images_spread': all('test/iw_image_spacing' in r for r in reports)}
    if 'K_clusters' in f:
        summary['K'] = int(f['K_clusters'])
        for name in ('accuracy_paper', 'accuracy_paper_posterior', 'accuracy_many_to_one', 'accuracy_hungarian'):
            summary[name] = [r.get(f'test/{name}') for r in reports]
    else:
        summary['iw_train_samples'] = int(f.get('iw_train_samples', 1))
    return summary


def nll(r):
    """The NLL column: mean ± std, and which test images it averages when not all 10,000: the first N
    (runs before test/iw_image_spacing) or N spread over the set, with the standard error of each run's
    subset mean where the run recorded it."""
    text = mean_std(r['nll'], digits=2)
    partial = [n for n in r['iw_images'] if n < 10000]
    if not partial:
        return text
    which = f'{partial[0]} images spread over the set' if r['iw_images_spread'] else f'first {partial[0]} images'
    stderr = f", s.e. {'/'.join(f'{e:.2f}' for e in r['nll_stderr'])}" if r['nll_stderr'] else ''
    return f'{text} ({which}{stderr})'


def clustering_table(rows):
    lines = ['| K | networks | setting (--extra) | seeds | accuracy, paper protocol (%) | the paper (%) | '
             'paper protocol on q(y\\|x) (%) | majority vote (%) | Hungarian (%) | test NLL (nats) | epochs | '
             'minutes per run |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |']
    for r in sorted(rows, key=lambda r: (r['K'], r['network'], r['extra'])):
        if None in r['accuracy_paper']:
            continue   # scored before test/accuracy_paper existed: rescore it (quality.py --rescore)
        lines.append(f"| {r['K']} | {r['network']} | {r['extra']} | {len(r['seeds'])} | "
                     f"**{mean_std(r['accuracy_paper'], 100)}** | {PAPER_CLUSTERING.get(r['K'], '')} | "
                     f"{available_mean_std(r['accuracy_paper_posterior'], 100)} | "
                     f"{mean_std(r['accuracy_many_to_one'], 100)} | {mean_std(r['accuracy_hungarian'], 100)} | "
                     f"{nll(r)} | {'/'.join(map(str, r['epochs']))} | "
                     f"{'/'.join(map(str, r['minutes_per_run']))} |")
    return '\n'.join(lines)


def likelihood_table(rows):
    lines = ['| objective | networks | setting (--extra) | seeds | test NLL (nats) | importance samples | '
             'Burda et al. (nats) | epochs | minutes per run |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |']
    for r in sorted(rows, key=lambda r: (r['iw_train_samples'], r['network'], r['extra'])):
        k = r['iw_train_samples']
        name = 'VAE (ELBO)' if k == 1 else f'IWAE k={k}'
        lines.append(f"| {name} | {r['network']} | {r['extra']} | {len(r['seeds'])} | **{nll(r)}** | "
                     f"{'/'.join(map(str, r['iw_samples']))} | {PAPER_NLL.get(k, '')} | "
                     f"{'/'.join(map(str, r['epochs']))} | {'/'.join(map(str, r['minutes_per_run']))} |")
    return '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--results', default='benchmarks/results')
    args = parser.parse_args()
    rows = [row(reports) for reports in groups(args.results).values()]
    clustering = [r for r in rows if 'K' in r]
    likelihood = [r for r in rows if 'K' not in r]
    print('GMVAE clustering on MNIST (test set):\n' + clustering_table(clustering))
    print('\nVAE / IWAE on dynamically binarised MNIST (test set):\n' + likelihood_table(likelihood))
    atomic_write_json(os.path.join(args.results, 'paper_tables.json'),
                      {'clustering': clustering, 'likelihood': likelihood})


if __name__ == '__main__':
    main()
