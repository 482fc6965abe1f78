"""Reading sources: folders of files, feeds (fetch, parse, full text), OPML."""
