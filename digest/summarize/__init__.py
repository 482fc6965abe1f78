"""Summarizers behind a name registry: our news summarizer and sumy's."""
