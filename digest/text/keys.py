"""Identity keys of an article: its normalised URL and the hash of its normalised words."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import re
import unicodedata
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from digest.models import Article

# Query parameters that track the reader rather than name the page.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
    "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok",
    "ref", "ref_src", "ref_url", "referrer", "cmpid", "ocid", "smid", "sr_share",
    "rss", "ito", "at_medium", "at_campaign", "wt.mc_id", "s_cid",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "at_custom", "hsa_", "oly_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_WORD = re.compile(r"[^\W_]+")  # a run of letters and digits


def is_web_url(url: str) -> bool:
    """Return whether `url` is an absolute http(s) address with a host.

    The one test of a link the project trusts: no javascript:, data: or
    relative links, no bare GUIDs.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in _DEFAULT_PORTS and bool(parts.netloc)


def normalize_url(url: str) -> str:
    """Return `url` in a canonical form for comparing articles.

    Lowercases scheme and host, drops default ports, user info, the fragment
    and tracking parameters, sorts the rest of the query, and removes a
    trailing slash from the path. A string that is not an http(s) URL is
    returned stripped and otherwise unchanged.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return text
    host = parts.hostname.rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(key)
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def _is_tracking(key: str) -> bool:
    lowered = key.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def words_of(text: str) -> list[str]:
    """Return the words of `text` casefolded (after NFKC), accents kept, punctuation dropped."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def normalized_words(text: str) -> str:
    """Return `text` casefolded, accents kept, punctuation dropped, words single-spaced."""
    return " ".join(words_of(text))


def content_hash(article: Article) -> str:
    """Return a hash of the article's words that ignores case, punctuation and spacing.

    The body decides; the title only when there is no body, so a syndicated
    copy under a different headline still counts as the same content.
    """
    words = normalized_words(article.body) or normalized_words(article.title)
    return hashlib.sha256(words.encode()).hexdigest()[:32]


def with_keys(article: Article) -> Article:
    """Return `article` carrying its URL key and content hash (computed once, then kept)."""
    if article.content_hash:
        return article
    return dataclasses.replace(
        article, url_key=normalize_url(article.url) if article.url else "",
        content_hash=content_hash(article))


def fingerprint(*parts: object) -> str:
    """Return a hash of `parts` (each by its str()), in order: a cache key.

    Each part is hashed with its length, so ("ab", "c") and ("a", "bc") differ.
    """
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = str(part).encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


@cache
def code_version(*modules: str) -> str:
    """Return a hash of the named modules' source files: it changes when their code does.

    A result cached in the store is keyed by the code that made it, so an
    upgrade never serves what older code computed.
    """
    sources = []
    for name in modules:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        sources.append(Path(origin).read_bytes() if origin and origin.endswith(".py")
                       else name.encode())
    return fingerprint(*(hashlib.blake2b(s, digest_size=16).hexdigest() for s in sources))


def read_hash(article: Article, rules: str) -> str:
    """Return a hash of the article as read (before cleaning) and of the cleaning `rules`.

    An article stored with the same read hash needs no cleaning again: its
    stored text, keys and language are what cleaning would give.
    """
    return fingerprint(article.id, article.source, article.title, article.body,
                       article.published.isoformat(), article.url or "", article.location,
                       "\x1e".join(article.flags), article.kind, article.language,
                       article.category, rules)
