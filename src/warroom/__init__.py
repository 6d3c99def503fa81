"""warroom: self-hosted incident management, from the first alert to the approved report."""

__version__ = "0.1.0"
