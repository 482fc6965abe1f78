"""news-digest: turn articles from folders and feeds into a daily digest."""

__version__ = "0.1.0"
