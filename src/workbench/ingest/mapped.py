"""Mapped reader (stub)."""
def mapping_for(path):
    return None
