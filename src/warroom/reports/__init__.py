"""The incident report: a redacted model per audience, rendered as Markdown, HTML, PDF or JSON."""

from typing import Literal

# Kept here, away from the renderers, so the CLI offers them without loading Jinja2.
Format = Literal["md", "html", "pdf", "json"]
FORMATS: tuple[Format, ...] = ("md", "html", "pdf", "json")
