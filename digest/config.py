"""Turn the TOML config file and DIGEST_* environment variables into one typed object."""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
import tomllib
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.errors import ConfigError
from digest.models import FeedState

# The summarizers by name (digest.summarize.registry maps each to its code, a
# test checks the two agree): ours, then every one sumy ships. Named here so
# that reading the config loads no summarizer.
ALGORITHMS: tuple[str, ...] = (
    "news", "lexrank", "textrank", "lsa", "luhn", "kl", "sumbasic", "reduction", "edmundson",
    "random",
)
# Languages with both a shipped Punkt model and a sumy stemmer.
LANGUAGES: tuple[str, ...] = (
    "czech", "danish", "dutch", "english", "finnish", "french", "german", "greek",
    "italian", "norwegian", "polish", "portuguese", "russian", "spanish", "swedish",
)
# Where the heavy steps run: this process's threads, a pool of processes on
# every core, or a Dask cluster (prefect-dask).
TASK_RUNNERS = ("auto", "threads", "processes", "dask")

DEFAULT_CONFIG_PATH = Path("config/digest.toml")
ENV_PREFIX = "DIGEST_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
# Keys that must never be in the file, and where their value comes from instead.
_SECRETS = {"password": "DIGEST_SMTP_PASSWORD", "smtp_password": "DIGEST_SMTP_PASSWORD"}
SECURITY = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class FeedConfig:
    url: str = ""
    name: str = ""
    full_text: bool = False
    # How much this feed's stories count in the ranking: 2 lifts them as much as
    # a second outlet covering them would, 0.5 lowers them as much.
    weight: float = 1.0
    # A folder to file it under ("News/World"), kept through OPML.
    category: str = ""

    def state(self) -> FeedState:
        """Return the feed as the store keeps it, before anything is known of it."""
        return FeedState(url=self.url, name=self.name, full_text=self.full_text,
                         category=self.category)


@dataclass(frozen=True)
class SourcesConfig:
    folders: tuple[str, ...] = ("seeds",)
    feeds: tuple[FeedConfig, ...] = ()
    # Ranking weight per folder, by the folder as written in `folders`
    # (weights = { seeds = 0.5 }); a feed's is its own `weight`.
    weights: dict[str, float] = field(default_factory=dict)
    # A file larger than this is skipped and reported: memory stays bounded
    # (5 MB is about 800,000 words, far beyond any article).
    max_file_bytes: int = 5_000_000
    # A link whose target lies outside its folder is refused unless this is true.
    follow_links: bool = False
    # Subfolders are read too (hidden ones, starting with ".", never).
    recursive: bool = True


@dataclass(frozen=True)
class FetchConfig:
    # Feeds fetched at once, and at most this many at once from one host.
    workers: int = 8
    per_host: int = 2
    connect_timeout: float = 10.0
    # Seconds a read may wait for data, and the hard limit for a whole request
    # (headers and body; a server sending a byte a second is cut off at it).
    timeout: float = 30.0
    total_timeout: float = 60.0
    # Responses larger than this are refused (10 MB: the largest real feed in
    # the shared corpus is well under 1 MB).
    max_bytes: int = 10_000_000
    # Only the newest items of a feed are kept.
    max_items: int = 200
    # Items published longer ago than this are stored but not put in the digest.
    window_days: float = 2.0
    # After the n-th failure in a row a feed waits base * 2**(n-1), capped.
    backoff_base_seconds: int = 300
    backoff_max_seconds: int = 86_400
    # Items with fewer words than this are stubs; feeds with full_text = true
    # fetch the article page for them.
    full_text_min_words: int = 80


@dataclass(frozen=True)
class CleanConfig:
    use_default_rules: bool = True
    drop_lines: tuple[str, ...] = ()
    cut_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoreConfig:
    path: str = "data/digest.db"
    # Decoded copies of packaged models, which load faster than the packages'
    # compressed ones, and the compiled templates; empty: a "cache" folder
    # beside the database.
    cache_dir: str = ""


@dataclass(frozen=True)
class OutputConfig:
    dir: str = "out"
    # Where `dir` is served on the web (https://...): the email then links to
    # its day's page. Empty: no links.
    base_url: str = ""
    # Stories shown open in each section of the page; the rest of the section
    # is one click away (collapsed, no JavaScript). 0: all open.
    open_per_section: int = 5


@dataclass(frozen=True)
class RankConfig:
    # Words or phrases (whole words, any case) in a story's title or text:
    # muted stories are left out (the footer counts them), boosted ones rise.
    mute: tuple[str, ...] = ()
    boost: tuple[str, ...] = ()


@dataclass(frozen=True)
class SummaryConfig:
    algorithm: str = "news"
    sentences: int = 3
    # A word budget instead of a sentence count (0: use `sentences`).
    words: int = 0
    # "auto": each article's feed declaration, else detected from its text.
    language: str = "auto"


@dataclass(frozen=True)
class StoriesConfig:
    # TF-IDF cosine (title and opening) two articles need to be one story.
    similarity: float = 0.12
    # Within this many hours that is enough; further apart, more is needed.
    window_hours: float = 72.0
    # Stories sent in the last this many days are followed: new reports on one
    # are not shown again unless there are at least `developing_min` of them.
    follow_days: int = 3
    developing_min: int = 2


@dataclass(frozen=True)
class ThemesConfig:
    # Small days only: the average cosine similarity two groups of stories need
    # to share a theme. Stories are already distinct events, so the bar is
    # higher than the 0.06 that grouped BBC articles best before stories existed.
    min_similarity: float = 0.1
    max_singletons: int = 3
    # "topic": sections found from the stories' words; "category": one section
    # per feed category (a folder's name for folder articles), as feed readers do.
    by: str = "topic"


@dataclass(frozen=True)
class DigestConfig:
    title: str = "Daily digest"
    timezone: str = "UTC"


@dataclass(frozen=True)
class EmailConfig:
    # Recipients; none means no email at all.
    to: tuple[str, ...] = ()
    # The From address ("from" in the file: a Python keyword, hence the underscore).
    from_: str = "news-digest@localhost"
    # No smtp_host: the message is only written to out/<date>/digest.eml.
    smtp_host: str = ""
    smtp_port: int = 587
    security: str = "starttls"
    username: str = ""
    # A Prefect Secret block holding the SMTP password, for flow runs; else the
    # password comes from the DIGEST_SMTP_PASSWORD environment variable.
    password_secret: str = ""
    subject: str = "{title} {date}: {stories} in {sections}"
    list_unsubscribe: str = ""
    # Who hears about failed runs (empty: nobody).
    admin: str = ""
    timeout: float = 30.0
    # The email carries the day's most important stories, at most this many in
    # all and per section (the web page has every story); its HTML is cut to
    # stay under Gmail's clipping size.
    max_stories: int = 25
    per_section: int = 5
    # A day without stories is emailed only when this is true.
    send_empty: bool = False


@dataclass(frozen=True)
class ScheduleConfig:
    cron: str = "0 7 * * *"
    # Empty: the digest's time zone ([digest] timezone).
    timezone: str = ""


@dataclass(frozen=True)
class RunConfig:
    # auto | threads | processes | dask (see README, "Running on several machines").
    task_runner: str = "auto"
    # Processes or local Dask workers; 0: one per core.
    workers: int = 0
    # A running Dask scheduler ("tcp://host:8786"); empty: a local cluster of `workers`.
    dask_address: str = ""
    # Articles per cleaning or summarizing task: big enough that a task's few ms of
    # bookkeeping are lost in its work, small enough to spread a day over the workers.
    batch_size: int = 250


@dataclass(frozen=True)
class Config:
    sources: SourcesConfig = field(default_factory=SourcesConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    clean: CleanConfig = field(default_factory=CleanConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    summary: SummaryConfig = field(default_factory=SummaryConfig)
    stories: StoriesConfig = field(default_factory=StoriesConfig)
    themes: ThemesConfig = field(default_factory=ThemesConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    email: EmailConfig = field(default_factory=EmailConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    rank: RankConfig = field(default_factory=RankConfig)
    run: RunConfig = field(default_factory=RunConfig)
    origin: str = "built-in defaults"

    @property
    def store_path(self) -> Path:
        return Path(self.store.path)

    @property
    def cache_dir(self) -> Path:
        return Path(self.store.cache_dir) if self.store.cache_dir else (
            self.store_path.parent / "cache")

    @property
    def output_dir(self) -> Path:
        return Path(self.output.dir)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.digest.timezone)

    @property
    def schedule_timezone(self) -> str:
        return self.schedule.timezone or self.digest.timezone


SECTIONS: dict[str, type[Any]] = {
    f.name: typing.get_type_hints(Config)[f.name]
    for f in dataclasses.fields(Config)
    if f.name != "origin"
}


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Return the config from `path` with env overrides applied.

    Without `path`: the file $DIGEST_CONFIG names, else config/digest.toml in
    the working directory. A missing default file means built-in defaults; a
    missing file named explicitly (either way) is an error.
    """
    env = os.environ if env is None else env
    path = path if path is not None else (env.get(CONFIG_VARIABLE) or None)
    tables: dict[str, dict[str, Any]] = {}
    origin = "built-in defaults"
    if path is not None or DEFAULT_CONFIG_PATH.exists():
        file = Path(path) if path is not None else DEFAULT_CONFIG_PATH
        tables = _read_toml(file)
        origin = str(file)
    _check_variables(env)
    sections = {
        name: _build_section(name, tables.get(name, {}), origin, env)
        for name in SECTIONS
    }
    config = Config(**sections, origin=origin)
    _check_numbers(config)
    _validate(config)
    return config


PASSWORD_VARIABLE = "DIGEST_SMTP_PASSWORD"
# The config file to read when none is named (a worker's environment says where it is).
CONFIG_VARIABLE = "DIGEST_CONFIG"
CHROMIUM_VARIABLE = "DIGEST_CHROMIUM"
# DIGEST_* variables that are not config keys.
OTHER_VARIABLES = frozenset({PASSWORD_VARIABLE, CHROMIUM_VARIABLE, CONFIG_VARIABLE})


def smtp_password(env: Mapping[str, str] | None = None) -> str | None:
    """Return the SMTP password from the environment (it is never in the config file)."""
    return (os.environ if env is None else env).get(PASSWORD_VARIABLE) or None


def chromium_command(env: Mapping[str, str] | None = None) -> str | None:
    """Return the Chromium to check pages with, when the environment names one."""
    return (os.environ if env is None else env).get(CHROMIUM_VARIABLE) or None
# Integers beyond this are typos (and overflow SQLite's 64-bit integers).
MAX_INTEGER = 2**31 - 1


def _check_variables(env: Mapping[str, str]) -> None:
    """Refuse a DIGEST_* variable that names no section: a typo would go unnoticed."""
    for var in sorted(env):
        if not var.startswith(ENV_PREFIX) or var in OTHER_VARIABLES:
            continue
        if not any(var.startswith(f"{ENV_PREFIX}{name.upper()}_") for name in SECTIONS):
            raise ConfigError(
                f"environment variable {var}: unknown (settings are DIGEST_<SECTION>_<KEY> "
                f"with a section of: {', '.join(SECTIONS)}; also read: "
                f"{', '.join(sorted(OTHER_VARIABLES))})")


def _check_numbers(config: Config) -> None:
    """Refuse numbers no setting can mean: NaN, infinities, integers past 2**31."""
    for name in SECTIONS:
        section = getattr(config, name)
        for item in dataclasses.fields(section):
            value = getattr(section, item.name)
            if isinstance(value, bool):
                continue
            key = item.name.rstrip("_")
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError(f"{config.origin}: [{name}] {key} must be a finite number, "
                                  f"not {value}")
            if isinstance(value, int) and abs(value) > MAX_INTEGER:
                raise ConfigError(f"{config.origin}: [{name}] {key} = {value} is too large "
                                  f"(at most {MAX_INTEGER:,})")


def _read_toml(file: Path) -> dict[str, dict[str, Any]]:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such config file (pass --config PATH)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read config file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc})") from None
    for name, table in data.items():
        if name not in SECTIONS:
            raise ConfigError(
                f"{file}: unknown section [{name}]{_did_you_mean(name, SECTIONS)} "
                f"(known: {', '.join(SECTIONS)})"
            )
        if not isinstance(table, dict):
            raise ConfigError(f"{file}: '{name}' must be a table ([{name}])")
    return data


def _build_section(
    name: str, table: dict[str, Any], origin: str, env: Mapping[str, str]
) -> Any:
    cls = SECTIONS[name]
    # A field named like a Python keyword ends in "_"; its key in the file does not.
    hints = {key.rstrip("_"): kind for key, kind in typing.get_type_hints(cls).items()}
    values: dict[str, Any] = {}
    for key, raw in table.items():
        if key in _SECRETS:
            raise ConfigError(f"{origin}: [{name}] {key}: passwords are not read from the "
                              f"config file (set {_SECRETS[key]} in the environment)")
        if key not in hints:
            raise ConfigError(
                f"{origin}: unknown key '{key}' in [{name}]{_did_you_mean(key, hints)} "
                f"(known: {', '.join(hints)})"
            )
        values[key] = _coerce(raw, hints[key], f"{origin}: [{name}] {key}")
    prefix = f"{ENV_PREFIX}{name.upper()}_"
    for var, text in sorted(env.items()):
        if not var.startswith(prefix):
            continue
        key = var[len(prefix):].lower()
        if key not in hints:
            raise ConfigError(
                f"environment variable {var}: unknown key '{key}' in [{name}]"
                f"{_did_you_mean(key, hints)} "
                f"(known: {', '.join(hints)})"
            )
        values[key] = _coerce_text(text, hints[key], f"environment variable {var}")
    fields = {f.name.rstrip("_"): f.name for f in dataclasses.fields(cls)}
    return cls(**{fields[key]: value for key, value in values.items()})


def _did_you_mean(key: str, known: Iterable[str]) -> str:
    """Return ": did you mean 'x'?" for a near miss of a known key, else ""."""
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.75)
    return f": did you mean '{close[0]}'?" if close else ""


def _type_name(kind: Any) -> str:
    if kind == tuple[str, ...]:
        return "a list of strings"
    if kind == tuple[FeedConfig, ...]:
        return "a list of tables ([[sources.feeds]])"
    if kind == dict[str, float]:
        return "a table of numbers (name = 2.0)"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}[kind]


def _coerce(raw: Any, kind: Any, where: str) -> Any:
    """Return `raw` as `kind`, or raise ConfigError naming `where`."""
    if kind == tuple[FeedConfig, ...]:
        if isinstance(raw, list) and all(isinstance(item, dict) for item in raw):
            return tuple(_feed(item, f"{where} #{n}") for n, item in enumerate(raw, 1))
    elif kind == tuple[str, ...]:
        if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
            return tuple(raw)
    elif kind == dict[str, float]:
        if isinstance(raw, dict) and all(isinstance(v, int | float) and not isinstance(v, bool)
                                         for v in raw.values()):
            return {str(k): float(v) for k, v in raw.items()}
    elif kind is float:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return float(raw)
    elif kind is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
    elif isinstance(raw, kind):
        return raw
    raise ConfigError(f"{where} must be {_type_name(kind)}, got {raw!r}")


def _feed(table: dict[str, Any], where: str) -> FeedConfig:
    hints = typing.get_type_hints(FeedConfig)
    values: dict[str, Any] = {}
    for key, raw in table.items():
        if key not in hints:
            raise ConfigError(f"{where}: unknown key '{key}'{_did_you_mean(key, hints)} "
                              f"(known: {', '.join(hints)})")
        values[key] = _coerce(raw, hints[key], f"{where} {key}")
    if not re.match(r"https?://[^/\s]+", values.get("url", "")):
        raise ConfigError(f'{where} needs a url starting with http:// or https:// '
                          f'(add url = "https://...")')
    return FeedConfig(**values)


def _coerce_text(text: str, kind: Any, where: str) -> Any:
    """Return an environment value converted to `kind`; lists are comma-separated."""
    if kind == tuple[FeedConfig, ...]:
        raise ConfigError(f"{where}: feeds cannot be set from the environment "
                          "(list them in the config file or import an OPML file)")
    if kind == dict[str, float]:
        raise ConfigError(f"{where}: a table cannot be set from the environment "
                          "(set it in the config file)")
    try:
        if kind == tuple[str, ...]:
            return tuple(part.strip() for part in text.split(",") if part.strip())
        if kind is bool:
            if text.strip().lower() in _TRUE | _FALSE:
                return text.strip().lower() in _TRUE
            raise ValueError(text)
        return kind(text.strip())
    except ValueError:
        raise ConfigError(f"{where} must be {_type_name(kind)}, got {text!r}") from None


_CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31),
                ("month", 1, 12), ("weekday", 0, 7))
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_CRON_NAMES = ({name: number for number, name in enumerate(_MONTHS, 1)}
               | {name: number for number, name in enumerate(_WEEKDAYS)})
_CRON_PART = re.compile(r"^(\*|(\w+)(?:-(\w+))?)(?:/(\d+))?$")


def _cron_field_ok(text: str, low: int, high: int) -> bool:
    """Whether one cron field (e.g. "*/15", "1-5", "mon,wed", "0") is valid for [low, high]."""
    def number(word: str) -> int | None:
        if word.isdigit():
            return int(word)
        return _CRON_NAMES.get(word.lower())

    for part in text.split(","):
        match = _CRON_PART.match(part)
        if not match:
            return False
        if match.group(4) is not None and not 1 <= int(match.group(4)) <= high:
            return False
        if match.group(1) == "*":
            continue
        first = number(match.group(2))
        last = number(match.group(3)) if match.group(3) else first
        if first is None or last is None or not low <= first <= last <= high:
            return False
    return True


def _validate(config: Config) -> None:
    where = config.origin
    summary = config.summary
    if summary.algorithm not in ALGORITHMS:
        raise ConfigError(
            f"{where}: [summary] algorithm '{summary.algorithm}' is unknown "
            f"(choose one of: {', '.join(sorted(ALGORITHMS))})"
        )
    if summary.language not in (*LANGUAGES, "auto"):
        raise ConfigError(
            f"{where}: [summary] language '{summary.language}' is not supported "
            f"(choose auto or one of: {', '.join(LANGUAGES)})"
        )
    if config.themes.by not in ("topic", "category"):
        raise ConfigError(f"{where}: [themes] by '{config.themes.by}' is unknown "
                          "(choose topic or category)")
    if config.run.task_runner not in TASK_RUNNERS:
        raise ConfigError(
            f"{where}: [run] task_runner '{config.run.task_runner}' is unknown "
            f"(choose one of: {', '.join(TASK_RUNNERS)})")
    if config.run.workers < 0 or config.run.batch_size < 1:
        raise ConfigError(f"{where}: [run] workers must be 0 (one per core) or more, and "
                          "batch_size at least 1")
    for folder, weight in config.sources.weights.items():
        if folder not in config.sources.folders:
            raise ConfigError(f"{where}: [sources] weights: '{folder}' is not one of the "
                              f"folders ({', '.join(config.sources.folders) or 'none'})")
        if not 0.0 < weight <= 100.0:
            raise ConfigError(f"{where}: [sources] weights: '{folder}' must be above 0 "
                              "and at most 100")
    for feed in config.sources.feeds:
        if not 0.0 < feed.weight <= 100.0:
            raise ConfigError(f"{where}: feed '{feed.name or feed.url}' weight must be above "
                              "0 and at most 100")
    if any(not term.strip() for term in (*config.rank.mute, *config.rank.boost)):
        raise ConfigError(f"{where}: [rank] mute and boost terms cannot be empty")
    if summary.words < 0:
        raise ConfigError(f"{where}: [summary] words must be 0 (use sentences) or more")
    if summary.sentences < 1:
        raise ConfigError(f"{where}: [summary] sentences must be at least 1")
    if not 0.0 < config.stories.similarity < 1.0:
        raise ConfigError(f"{where}: [stories] similarity must be between 0 and 1")
    if config.stories.follow_days < 0 or config.stories.developing_min < 1:
        raise ConfigError(f"{where}: [stories] follow_days must be 0 or more and "
                          "developing_min at least 1")
    if config.stories.window_hours <= 0:
        raise ConfigError(f"{where}: [stories] window_hours must be more than 0")
    if config.email.max_stories < 1 or config.email.per_section < 1:
        raise ConfigError(f"{where}: [email] max_stories and per_section must be at least 1")
    if config.sources.max_file_bytes <= 0:
        raise ConfigError(f"{where}: [sources] max_file_bytes must be more than 0")
    if not 0.0 < config.themes.min_similarity < 1.0:
        raise ConfigError(f"{where}: [themes] min_similarity must be between 0 and 1")
    if config.themes.max_singletons < 0:
        raise ConfigError(f"{where}: [themes] max_singletons must be 0 or more")
    try:
        ZoneInfo(config.digest.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{where}: [digest] timezone '{config.digest.timezone}' is not a known time zone "
            "(use an IANA name such as \"Europe/London\")"
        ) from None
    for key in ("drop_lines", "cut_from"):
        for pattern in getattr(config.clean, key):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(
                    f"{where}: [clean] {key} pattern {pattern!r} is not a valid regex ({exc})"
                ) from None
    if not config.sources.folders and not config.sources.feeds:
        raise ConfigError(f"{where}: [sources] has no folders and no feeds "
                          "(add folders = [\"seeds\"] or a [[sources.feeds]] table)")
    _validate_email(config)
    fetch = config.fetch
    for key in ("workers", "per_host", "max_bytes", "max_items", "full_text_min_words"):
        if getattr(fetch, key) < 1:
            raise ConfigError(f"{where}: [fetch] {key} must be at least 1")
    for key in ("connect_timeout", "timeout", "total_timeout", "window_days",
                "backoff_base_seconds", "backoff_max_seconds"):
        value = getattr(fetch, key)
        if not math.isfinite(value) or value <= 0:
            raise ConfigError(f"{where}: [fetch] {key} must be a number more than 0, "
                              f"not {value}")


def _validate_email(config: Config) -> None:
    where, email = config.origin, config.email
    if email.security not in SECURITY:
        raise ConfigError(f"{where}: [email] security '{email.security}' is unknown "
                          f"(choose one of: {', '.join(SECURITY)})")
    for key, addresses in (("to", email.to), ("from", (email.from_,)),
                           ("admin", (email.admin,) if email.admin else ())):
        for address in addresses:
            if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", address):
                raise ConfigError(f"{where}: [email] {key} '{address}' is not an email address")
    if not 0 < email.smtp_port < 65536:
        raise ConfigError(f"{where}: [email] smtp_port must be between 1 and 65535")
    try:
        email.subject.format(title="", date="", n=0, k=0, stories="", sections="")
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"{where}: [email] subject {email.subject!r} has an unknown "
                          f"placeholder {exc} (use {{title}}, {{date}}, {{stories}}, "
                          "{sections}, {n}, {k})") from None
    fields = config.schedule.cron.split()
    if len(fields) != 5:
        raise ConfigError(f"{where}: [schedule] cron '{config.schedule.cron}' needs five "
                          "fields (minute hour day month weekday), e.g. \"0 7 * * *\"")
    for text, (what, low, high) in zip(fields, _CRON_FIELDS, strict=True):
        if not _cron_field_ok(text, low, high):
            raise ConfigError(f"{where}: [schedule] cron '{config.schedule.cron}': {what} "
                              f"'{text}' is not valid ({low}-{high}, *, lists, ranges, /step)")
    try:
        ZoneInfo(config.schedule_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: [schedule] timezone '{config.schedule.timezone}' is not "
                          "a known time zone") from None
