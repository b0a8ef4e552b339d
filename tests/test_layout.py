"""base/: one job to a file, BaseModel composing them (pythae keeps trainer and model apart in the same way)."""
import os

from base.base_model import BaseModel

JOBS = {  # a method of each job -> the module that holds it
    '_steps': 'base.compiled_steps', 'evaluate': 'base.evaluation', 'restore': 'base.checkpoints',
    '_save': 'base.checkpoints', 'train': 'base.training', 'summarize_epoch': 'base.summaries',
    'results': 'base.results', 'make_figures': 'base.results',
}


def test_each_job_has_its_own_module():
    for method, module in JOBS.items():
        assert getattr(BaseModel, method).__module__ == module, method


def test_base_model_only_builds_the_run():
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'base', 'base_model.py')
    with open(path) as f:
        assert len(f.readlines()) < 100
