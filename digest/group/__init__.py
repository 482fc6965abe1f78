"""Grouping: reports of one event into stories, stories into themed sections."""
