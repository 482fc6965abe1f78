"""Publishing: ranking, the page and text digests, the email."""
