"""Strict parsing of operator variables (chimera.env), in-process."""

from __future__ import annotations

import pytest

from chimera.env import ConfigurationError, Env, secret_key
from chimera.local_files import read_env_file

GOOD_KEY = "k" * 40


@pytest.fixture
def env() -> Env:
    return Env()


@pytest.mark.parametrize(("raw", "expected"), [
    ("true", True), ("TRUE", True), ("yes", True), ("on", True), ("1", True),
    ("false", False), ("No", False), ("off", False), ("0", False),
])
def test_strict_bool_accepts_boolean_spellings(env, monkeypatch, raw, expected):
    monkeypatch.setenv("DEBUG", raw)
    assert env.strict_bool("DEBUG", default=not expected) is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "truthy", "y e s"])
def test_strict_bool_rejects_anything_else_naming_variable_and_value(env, monkeypatch, raw):
    monkeypatch.setenv("DEBUG", raw)
    with pytest.raises(ConfigurationError, match=rf"^DEBUG must be true or false.*got '{raw}'"):
        env.strict_bool("DEBUG", default=False)


def test_unset_and_empty_mean_default(env, monkeypatch):
    monkeypatch.delenv("DEBUG", raising=False)
    assert env.strict_bool("DEBUG", default=True) is True
    monkeypatch.setenv("DEBUG", "")
    assert env.strict_bool("DEBUG", default=False) is False


@pytest.mark.parametrize("raw", ["zero", "-1", "1.5", ""])
def test_strict_int(env, monkeypatch, raw):
    monkeypatch.setenv("WEB_CONCURRENCY", raw)
    if raw == "":
        assert env.strict_int("WEB_CONCURRENCY", default=2, minimum=1) == 2
        return
    with pytest.raises(ConfigurationError, match=rf"^WEB_CONCURRENCY must be a whole number.*'{raw}'"):
        env.strict_int("WEB_CONCURRENCY", default=2, minimum=1)


@pytest.mark.parametrize("raw", ["soon", "-2", "nan"])
def test_strict_float_rejects(env, monkeypatch, raw):
    monkeypatch.setenv("SOME_TIMEOUT", raw)
    with pytest.raises(ConfigurationError, match="^SOME_TIMEOUT must be a number"):
        env.strict_float("SOME_TIMEOUT", default=1.0)


def test_choice_is_case_insensitive_and_returns_canonical_spelling(env, monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "warning")
    assert env.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING")) == "WARNING"
    monkeypatch.setenv("LOG_LEVEL", "loud")
    with pytest.raises(ConfigurationError, match=r"^LOG_LEVEL must be one of DEBUG, INFO, WARNING; got 'loud'"):
        env.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING"))


def test_database_url_parses(env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://app:pw@db.internal:5432/app")
    config = env.database("DATABASE_URL", default="sqlite:///:memory:")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 5432, "app")


@pytest.mark.parametrize("url", [
    "nonsense", "foo://db/x", "postgres://app:hunter2@db:notaport/app", "://", "postgres:/missing",
])
def test_database_url_errors_name_variable_and_hide_password(env, monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ConfigurationError, match="^DATABASE_URL ") as info:
        env.database("DATABASE_URL", default="sqlite:///:memory:")
    assert "hunter2" not in str(info.value)


def test_redis_gets_socket_timeouts_unless_the_url_sets_them(env, monkeypatch):
    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6379/0")
    options = env.cache("CACHE_URL", default="locmemcache://")["OPTIONS"]
    assert options == {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}
    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6379/0?socket_timeout=0.25&socket_connect_timeout=2")
    options = env.cache("CACHE_URL", default="locmemcache://")["OPTIONS"]
    assert options == {"socket_connect_timeout": 2, "socket_timeout": 0.25}
    monkeypatch.delenv("CACHE_URL")
    assert "socket_timeout" not in env.cache("CACHE_URL", default="locmemcache://").get("OPTIONS", {})


@pytest.mark.parametrize("url", ["bogus", "foo://x", "redis//nohost"])
def test_cache_url_errors(env, monkeypatch, url):
    monkeypatch.setenv("CACHE_URL", url)
    with pytest.raises(ConfigurationError, match="^CACHE_URL "):
        env.cache("CACHE_URL", default="locmemcache://")


def test_url_errors_hide_the_password(env, monkeypatch):
    monkeypatch.setenv("CACHE_URL", "foo://user:s3cret@cache:6379/0")
    with pytest.raises(ConfigurationError) as refused:
        env.cache("CACHE_URL", default="locmemcache://")
    assert "'foo://user:***@cache:6379/0'" in str(refused.value) and "s3cret" not in str(refused.value)


class TestSecretKey:
    def test_good_key_is_used(self, env, monkeypatch):
        monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
        assert secret_key(env, debug=False) == GOOD_KEY

    @pytest.mark.parametrize("value", [None, "", "change-me", "django-insecure-abc" + "x" * 40, "Xq7tinykey"])
    def test_refused_without_debug(self, env, monkeypatch, value):
        if value is None:
            monkeypatch.delenv("SECRET_KEY", raising=False)
        else:
            monkeypatch.setenv("SECRET_KEY", value)
        with pytest.raises(ConfigurationError, match="^SECRET_KEY .*DEBUG=false") as info:
            secret_key(env, debug=False)
        if value:
            assert value not in str(info.value)

    def test_debug_allows_a_development_key(self, env, monkeypatch):
        monkeypatch.delenv("SECRET_KEY", raising=False)
        assert secret_key(env, debug=True).startswith("django-insecure-")


class TestEnvFile:
    def test_values_are_read_without_overriding_the_environment(self, env, monkeypatch, tmp_path):
        env_file = tmp_path / "settings.env"
        env_file.write_text("CHIMERA_TEST_FROM_FILE=file\nCHIMERA_TEST_BOTH=file\n")
        monkeypatch.setenv("CHIMERA_ENV_FILE", str(env_file))
        monkeypatch.setenv("CHIMERA_TEST_BOTH", "environment")
        monkeypatch.delenv("CHIMERA_TEST_FROM_FILE", raising=False)
        assert read_env_file(env, tmp_path) == env_file
        import os

        try:
            assert os.environ["CHIMERA_TEST_FROM_FILE"] == "file"
            assert os.environ["CHIMERA_TEST_BOTH"] == "environment"
        finally:
            os.environ.pop("CHIMERA_TEST_FROM_FILE", None)

    def test_default_file_is_dot_env_in_base_dir(self, env, monkeypatch, tmp_path):
        monkeypatch.delenv("CHIMERA_ENV_FILE", raising=False)
        assert read_env_file(env, tmp_path) is None
        (tmp_path / ".env").write_text("")
        assert read_env_file(env, tmp_path) == tmp_path / ".env"

    def test_empty_turns_reading_off(self, env, monkeypatch, tmp_path):
        (tmp_path / ".env").write_text("")
        monkeypatch.setenv("CHIMERA_ENV_FILE", "")
        assert read_env_file(env, tmp_path) is None

    def test_missing_named_file_is_an_error(self, env, monkeypatch, tmp_path):
        monkeypatch.setenv("CHIMERA_ENV_FILE", str(tmp_path / "nope.env"))
        with pytest.raises(ConfigurationError, match="^CHIMERA_ENV_FILE names a file that does not exist"):
            read_env_file(env, tmp_path)


class TestTaskQueueUrl:
    def read(self, env, monkeypatch, value):
        monkeypatch.setenv("CELERY_BROKER_URL", value)
        return env.url("CELERY_BROKER_URL", None, schemes=Env.BROKER_SCHEMES, example="redis://127.0.0.1:6379/0")

    def test_unset_is_the_default(self, env, monkeypatch):
        monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
        assert env.url("CELERY_BROKER_URL", "fallback", schemes=Env.BROKER_SCHEMES, example="x") == "fallback"

    @pytest.mark.parametrize("url", ["redis://:pw@cache:6379/0", "rediss://cache:6380/1", "amqp://guest@mq//"])
    def test_known_schemes_are_taken_as_written(self, env, monkeypatch, url):
        assert self.read(env, monkeypatch, url) == url

    @pytest.mark.parametrize("url", ["kafka://broker:9092", "127.0.0.1:6379", "redis://cache:port/0", "file:///tmp/q"])
    def test_other_urls_stop_start_up_naming_the_variable(self, env, monkeypatch, url):
        with pytest.raises(ConfigurationError, match=r"^CELERY_BROKER_URL must be a URL such as redis://"):
            self.read(env, monkeypatch, url)

    def test_the_message_masks_the_password(self, env, monkeypatch):
        with pytest.raises(ConfigurationError) as refused:
            self.read(env, monkeypatch, "kafka://user:s3cret-pw@broker:9092")
        assert "s3cret-pw" not in str(refused.value) and "'kafka://user:***@broker:9092'" in str(refused.value)
