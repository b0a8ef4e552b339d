"""The data loaders' error."""


class DataError(Exception):
    """Raised with ONE clear sentence: what is wrong or missing, and where (the file, folder or array)."""
