"""ghbuild: tags from git refs, build once, buildx with cache, push only when it should."""

__version__ = "0.1.0"
