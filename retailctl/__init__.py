"""retailctl: deploy, operate and replay a file-based retail-sales lake."""

__version__ = "0.1.0"
