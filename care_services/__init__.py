"""carecalc domain model, identifiers and spreadsheet I/O."""

__version__ = "0.1.0"
