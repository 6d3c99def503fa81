"""The incident report: a redacted model per audience, rendered as Markdown, HTML, PDF or JSON."""
