"""pmsync sets up its own logger and no other library's.

It used to turn the `jira` library's logger down to warnings (the library logs request
details at debug level), from when the Jira connector was built on that library. The
connector has spoken to Jira through pmsync's own kit since, so a run never loads the
library (only the public-client tests do) and the setting hid nothing; it only overrode
the level that a program or plugin using the library had chosen."""

from __future__ import annotations

import logging
import subprocess
import sys

from pmsync.cli import main


def test_a_whole_run_never_loads_the_jira_library(config_path, monkeypatch):
    probe = ("import sys\nfrom pmsync.cli import main\n"
             f"code = main(['--config', {str(config_path)!r}, 'run'])\n"
             "print(code, 'jira' in sys.modules, "
             "sorted(m for m in sys.modules if m.startswith('jira')))\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=300)
    assert result.stdout.splitlines()[-1] == "0 False []", result.stdout + result.stderr


def test_the_jira_librarys_logger_keeps_the_level_its_user_chose(capsys):
    logger = logging.getLogger("jira")
    logger.setLevel(logging.DEBUG)  # a plugin or host program debugging its own calls
    try:
        assert main(["-v", "plugins"]) == 0
        assert logger.level == logging.DEBUG
    finally:
        logger.setLevel(logging.NOTSET)
