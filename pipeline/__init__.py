"""NLP analysis of the contributions to the "Data et Territoires" consultation."""
__version__ = "0.1.0"
