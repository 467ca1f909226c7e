"""`store = "postgresql://..."`: the password only from its variable, never shown."""

from __future__ import annotations

from pmsync.cli import main
from pmsync.demo import demo_config


def write(tmp_path, store_lines: str):
    path = tmp_path / "pmsync.toml"
    path.write_text(store_lines + demo_config("http://127.0.0.1:9", "a@example.com"))
    return path


def test_a_password_in_the_store_url_is_refused(tmp_path, capsys):
    path = write(tmp_path, 'store = "postgresql://pmsync:hunter22@db/pmsync"\n')
    assert main(["--config", str(path), "check"]) == 2
    err = capsys.readouterr().err
    assert "store_password_env" in err and "hunter22" not in err and err.count("\n") == 1


def test_a_store_that_is_not_postgres_is_refused(tmp_path, capsys):
    path = write(tmp_path, 'store = "mysql://db/pmsync"\n')
    assert main(["--config", str(path), "check"]) == 2
    assert "postgresql:// URL" in capsys.readouterr().err


def test_an_unset_password_variable_is_named(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("PMSYNC_NO_SUCH_PW", raising=False)
    path = write(tmp_path, 'store = "postgresql://pmsync@127.0.0.1:9/pmsync"\n'
                           'store_password_env = "PMSYNC_NO_SUCH_PW"\n')
    assert main(["--config", str(path), "check"]) == 2
    assert "PMSYNC_NO_SUCH_PW is not set" in capsys.readouterr().err


def test_the_password_never_shows_when_the_server_refuses(pg_server, tmp_path, capsys,
                                                          monkeypatch):
    """A wrong password: one line naming the store and the way out, the secret masked."""
    monkeypatch.setenv("PMSYNC_WRONG_PW", "wrong-password-for-test")
    url = pg_server.rsplit("/", 1)[0] + "/postgres"
    path = write(tmp_path, f'store = "{url}"\nstore_password_env = "PMSYNC_WRONG_PW"\n')
    assert main(["--config", str(path), "-v", "check"]) == 5
    err = capsys.readouterr().err
    assert "cannot connect to the PostgreSQL store" in err
    assert "wrong-password-for-test" not in err
