"""Naming a database without its password: the URL as the user wrote it, not as libpq split it."""

from __future__ import annotations

import pytest

from bhq_migrate.connection import check_url, describe, redact, secrets_in, url_problem
from bhq_migrate.errors import ConfigError


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("postgresql://app:Sup3r/Secret@db:5432/lp", "an '@' follows the first '/'"),
        ("postgresql://app:S3cr#t:P@ss/wörd%1@db:5432/lp", "an '@' follows the first '/'"),
        ("postgresql://app:a@b@db/lp", "more than one '@' before the host"),
        ("postgresql://app:Gq%zzW8@db/lp", "a '%' is not followed by two hex digits"),
        ("postgresql://app:k?y#Q7x9@db/lp", None),  # libpq reads this one as written
        ("postgresql://app:p%2Fw%40rd@db/lp", None),
        ("postgresql://app@%2Ftmp/lp", None),
        ("host=db password='a b' dbname=lp", None),
    ],
)
def test_url_problem_matches_how_libpq_would_misread_the_url(url: str, problem: str | None) -> None:
    found = url_problem(url)
    assert (found is None) if problem is None else (found is not None and found.startswith(problem))


@pytest.mark.parametrize(
    ("given", "password"),
    [
        ("postgresql://app:Sup3r/Secret@db:5432/lp", "Sup3r/Secret"),
        ("postgresql://app:S3cr#t:P@ss/wörd%1@db:5432/lp", "S3cr#t:P@ss/wörd%1"),
        ("postgresql://app:p%2Fw%40rd@db/lp", "p/w@rd"),
        ("postgresql://app:secret42/lp", "secret42"),  # the "@" forgotten: libpq's "port"
        ("postgresql://app@db/lp?password=Qz7%23x&sslmode=require", "Qz7#x"),
        ("host=db user=app password='Xk9 Lm7' dbname=lp", "Xk9 Lm7"),
    ],
)
def test_the_password_the_user_meant_is_a_known_secret(given: str, password: str) -> None:
    assert password in secrets_in(given)
    assert password not in redact(f"server said: {password} is wrong; {given}", given)


def test_a_misread_url_is_refused_without_quoting_it() -> None:
    url = "postgresql://app:S3cr#t:P@ss/wörd%1@db:5432/lp"
    with pytest.raises(ConfigError) as caught:
        check_url(url)
    assert "ss/w" not in str(caught.value) and "db:5432" not in str(caught.value)
    assert describe(url) == "<unparseable database URL>"


def test_describe_names_user_host_port_and_database_only() -> None:
    assert describe("postgresql://app:p%2Fw%40rd@db.internal:6543/breederhq") == "app@db.internal:6543/breederhq"
