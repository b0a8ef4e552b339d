"""benchmarks/paper_protocol_noise.py: its scores on a hand-made case, and its refusal of other files."""
import json
import os
import subprocess
import sys

import numpy as np

from benchmarks.paper_protocol_noise import scores

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_scores_count_the_clusters_named_against_their_majority():
    y = np.array([1, 1, 1, 2, 3, 3])
    confidence = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.99, 0.01], [0.1, 0.9], [0.2, 0.8]])
    # Cluster 0 holds 1, 1, 1, 2 and is named after its most confident point, the 2; cluster 1 is all 3s.
    assert scores(y, np.log(confidence)) == {'paper': 3 / 6, 'majority': 5 / 6, 'misnamed_clusters': 1}




def test_a_file_that_is_not_a_gmvae_results_json_is_one_sentence(tmp_path):
    report = tmp_path / 'results_vae.json'
    report.write_text(json.dumps({'command': 'python VAE_main.py --seed=0', 'test/nll_iwae': 90.0}))
    done = subprocess.run([sys.executable, os.path.join(ROOT, 'benchmarks', 'paper_protocol_noise.py'), str(report),
                           str(tmp_path / 'missing.json')], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].endswith(
        f"error: '{report}' is not the results JSON of a GMVAE run of benchmarks/quality.py")
