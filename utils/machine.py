"""What the machine has."""
import os


def physical_memory():
    """Bytes of memory of the machine, or None where the system does not say."""
    try:
        return os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE')
    except (ValueError, OSError, AttributeError):
        return None
