"""Built-in publisher: local HTML copies of every report, written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pmsync.config import Config
from pmsync.hookspecs import hookimpl
from pmsync.state_errors import file_error


class HtmlFiles:
    name = "html-files"

    def publish(self, config: Config, name: str, html: str) -> Path:
        folder = config.html_dir
        target = folder / f"{name}.html"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # Write beside the target, then rename: a reader never sees half a file.
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        except OSError as exc:
            raise file_error(folder, exc, "write the HTML reports there", WAY_OUT) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(html)
            os.replace(tmp, target)
        except BaseException as exc:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                # The folder, not the file: a full disk is one failure, not one per report.
                raise file_error(folder, exc, "write the HTML reports there", WAY_OUT) from None
            raise
        return target


WAY_OUT = ("make the folder writable for the user running pmsync, or set reports.html_dir "
           "to another folder")


@hookimpl
def register_publishers(register):
    register(HtmlFiles())
