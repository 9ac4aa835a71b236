"""Question answering over council minutes, decision records and inspection reports."""

__version__ = "0.1.0"
