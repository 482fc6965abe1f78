"""Quality tools kept out of the run path: evaluation against labelled sets, page checks."""
