"""A logger that writes to the console and to one log file per run."""
import logging
import os


def get_logger(run_name, log_path=None):
    """Logger named after the run; INFO to stdout and, when `log_path` is given, appended to that file."""
    logger = logging.getLogger(f'vae_gmvae.{run_name}')
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    console = logging.StreamHandler()
    console.setFormatter(logging.Formatter('%(message)s'))
    logger.addHandler(console)
    if log_path:
        os.makedirs(os.path.dirname(log_path) or '.', exist_ok=True)
        file_handler = logging.FileHandler(log_path)
        file_handler.setFormatter(logging.Formatter('%(asctime)s %(levelname)s %(message)s'))
        logger.addHandler(file_handler)
    return logger
