"""Built-in publisher: local HTML copies of every report, written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pmsync.config import Config
from pmsync.hookspecs import hookimpl


class HtmlFiles:
    name = "html-files"

    def publish(self, config: Config, name: str, html: str) -> Path:
        folder = config.html_dir
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{name}.html"
        # Write beside the target, then rename: a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(html)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target


@hookimpl
def register_publishers(register):
    register(HtmlFiles())
