from __future__ import annotations

from pathlib import Path

import pytest

from digest.config import Config, load_config
from digest.errors import ConfigError

REPO = Path(__file__).parent.parent


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_is_valid_and_matches_the_defaults() -> None:
    shipped = load_config(REPO / "config" / "digest.toml", env={})
    assert replace_origin(shipped) == Config()


def replace_origin(config: Config) -> Config:
    from dataclasses import replace

    return replace(config, origin=Config().origin)


def test_file_values_are_read_and_typed(tmp_path: Path) -> None:
    path = _write(tmp_path, '[summary]\nalgorithm = "textrank"\nsentences = 5\n'
                            '[sources]\nfolders = ["a", "b"]\n[themes]\nmin_similarity = 1e-1\n')
    config = load_config(path, env={})
    assert config.summary.algorithm == "textrank"
    assert config.summary.sentences == 5
    assert config.sources.folders == ("a", "b")
    assert config.themes.min_similarity == 0.1


def test_environment_overrides_file(tmp_path: Path) -> None:
    path = _write(tmp_path, '[summary]\nalgorithm = "textrank"\n')
    env = {"DIGEST_SUMMARY_ALGORITHM": "lsa", "DIGEST_SUMMARY_SENTENCES": "2",
           "DIGEST_SOURCES_FOLDERS": "x, y", "DIGEST_CLEAN_USE_DEFAULT_RULES": "no",
           "DIGEST_SMTP_PASSWORD": "not config"}
    config = load_config(path, env=env)
    assert config.summary.algorithm == "lsa"
    assert config.summary.sentences == 2
    assert config.sources.folders == ("x", "y")
    assert config.clean.use_default_rules is False


def test_feeds_are_read_from_tables(tmp_path: Path) -> None:
    path = _write(tmp_path, '[[sources.feeds]]\nurl = "https://a.example/rss"\n'
                            '[[sources.feeds]]\nurl = "https://b.example/atom"\nname = "B"\n'
                            "full_text = true\n")
    feeds = load_config(path, env={}).sources.feeds
    assert [(f.url, f.name, f.full_text) for f in feeds] == [
        ("https://a.example/rss", "", False), ("https://b.example/atom", "B", True)]
    with pytest.raises(ConfigError, match="feeds cannot be set from the environment"):
        load_config(path, env={"DIGEST_SOURCES_FEEDS": "https://x.example"})


def test_missing_default_file_means_defaults(tmp_path: Path) -> None:
    assert load_config(env={}) == Config()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sumary]\n", "c.toml: unknown section [sumary]: did you mean 'summary'? (known: "
         "sources, fetch, clean, "
         "store, output, summary, stories, themes, digest, email, schedule, rank, run)"),
        ('[email]\npassword = "hunter2"\n', "c.toml: [email] password: passwords are not read "
         "from the config file (set DIGEST_SMTP_PASSWORD in the environment)"),
        ('[email]\nsecurity = "tls"\n', "c.toml: [email] security 'tls' is unknown "
         "(choose one of: starttls, ssl, none)"),
        ('[email]\nto = ["me"]\n', "c.toml: [email] to 'me' is not an email address"),
        ('[email]\nsubject = "{day}"\n', "c.toml: [email] subject '{day}' has an unknown "
         "placeholder 'day' (use {title}, {date}, {stories}, {sections}, {n}, {k})"),
        ('[schedule]\ncron = "7am"\n', "c.toml: [schedule] cron '7am' needs five fields "
         '(minute hour day month weekday), e.g. "0 7 * * *"'),
        ("[summary]\nalgo = 1\n", "c.toml: unknown key 'algo' in [summary] "
         "(known: algorithm, sentences, words, language)"),
        ('[summary]\nsentences = "three"\n',
         "c.toml: [summary] sentences must be an integer, got 'three'"),
        ("[sources]\nfolders = \"seeds\"\n",
         "c.toml: [sources] folders must be a list of strings, got 'seeds'"),
        ('[summary]\nalgorithm = "magic"\n', "c.toml: [summary] algorithm 'magic' is unknown "
         "(choose one of: edmundson, kl, lexrank, lsa, luhn, news, random, reduction, sumbasic, "
         "textrank)"),
        ('[digest]\ntimezone = "Mars/Olympus"\n', "c.toml: [digest] timezone 'Mars/Olympus' is "
         'not a known time zone (use an IANA name such as "Europe/London")'),
        ('[clean]\ndrop_lines = ["(unclosed"]\n', "c.toml: [clean] drop_lines pattern "
         "'(unclosed' is not a valid regex (missing ), unterminated subpattern at position 0)"),
        ("[summary]\nsentences = 0\n", "c.toml: [summary] sentences must be at least 1"),
        ("[sources]\nfolders = []\n",
         'c.toml: [sources] has no folders and no feeds (add folders = ["seeds"] or a '
         "[[sources.feeds]] table)"),
        ('[[sources.feeds]]\nname = "bbc"\n', 'c.toml: [sources] feeds #1 needs a url starting '
         'with http:// or https:// (add url = "https://...")'),
        ('[[sources.feeds]]\nurl = "https://a.example/rss"\nfulltext = true\n',
         "c.toml: [sources] feeds #1: unknown key 'fulltext': did you mean 'full_text'? "
         "(known: url, name, full_text, weight, category)"),
        ("[fetch]\nworkers = 0\n", "c.toml: [fetch] workers must be at least 1"),
    ],
)
def test_bad_config_is_an_error_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(_write(tmp_path, text), env={})
    assert str(error.value) == f"{tmp_path}/{message}"


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(env={"DIGEST_SUMMARY_SENTENCES": "many"})
    assert str(error.value) == (
        "environment variable DIGEST_SUMMARY_SENTENCES must be an integer, got 'many'")
    with pytest.raises(ConfigError) as error:
        load_config(env={"DIGEST_SUMMARY_ALGORTHM": "lsa"})
    assert str(error.value) == ("environment variable DIGEST_SUMMARY_ALGORTHM: unknown key "
                                "'algorthm' in [summary]: did you mean 'algorithm'? (known: "
                                "algorithm, sentences, words, language)")


def test_explicit_missing_file_and_broken_toml_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml", env={})
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(_write(tmp_path, "[summary\n"), env={})


def test_email_from_key_and_environment(tmp_path: Path) -> None:
    path = _write(tmp_path, '[email]\nfrom = "digest@example.org"\nto = ["a@example.org"]\n')
    config = load_config(path, env={"DIGEST_EMAIL_SMTP_HOST": "mail.example.org",
                                    "DIGEST_EMAIL_TO": "a@example.org, b@example.org"})
    assert config.email.from_ == "digest@example.org"
    assert config.email.to == ("a@example.org", "b@example.org")
    assert config.email.smtp_host == "mail.example.org"
    assert load_config(path, env={"DIGEST_EMAIL_FROM": "x@example.org"}).email.from_ == \
        "x@example.org"
    assert config.schedule_timezone == "UTC"


@pytest.mark.parametrize(("variables", "message"), [
    ({"DIGEST_SUMMARY_SENTENCES": "99999999999999999999"}, "[summary] sentences = "),
    ({"DIGEST_FETCH_TIMEOUT": "nan"}, "[fetch] timeout must be a finite number"),
    ({"DIGEST_FETCH_TOTAL_TIMEOUT": "inf"}, "[fetch] total_timeout must be a finite number"),
    ({"DIGEST_SUMARY_SENTENCES": "3"}, "environment variable DIGEST_SUMARY_SENTENCES: unknown"),
    ({"DIGEST_SCHEDULE_CRON": "99 99 * * *"}, "minute '99' is not valid"),
    ({"DIGEST_SCHEDULE_CRON": "0 7 * 13 *"}, "month '13' is not valid"),
])
def test_impossible_settings_are_one_line_errors(
    variables: dict[str, str], message: str,
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(env=variables)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_cron_lines_with_names_ranges_and_steps_are_accepted() -> None:
    config = load_config(env={"DIGEST_SCHEDULE_CRON": "*/15 7-9 * jan-mar mon-fri"})
    assert config.schedule.cron == "*/15 7-9 * jan-mar mon-fri"


def test_a_near_miss_of_a_key_gets_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(_write(tmp_path, "[summary]\nsentence = 2\n"), env={})
    assert str(error.value) == (f"{tmp_path}/c.toml: unknown key 'sentence' in [summary]: did "
                                "you mean 'sentences'? (known: algorithm, sentences, words, "
                                "language)")
