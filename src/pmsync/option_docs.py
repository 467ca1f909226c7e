"""The README's option tables, generated from the one declaration of every option.

Each table sits between ``<!-- options:NAME -->`` and ``<!-- /options -->`` in
README.md; ``python -m pmsync.option_docs README.md`` rewrites them, and a test
fails when the README and the declarations disagree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from pmsync import config
from pmsync.kit.options import OptionSchema, merge
from pmsync.plugins import Registry, default_registry

BLOCK = re.compile(r"(<!-- options:([\w.-]+) -->\n)(.*?)(<!-- /options -->)", re.S)


def tables(registry: Registry) -> dict[str, str]:
    out = {
        "core": config.TOP.markdown(),
        "check": config.CHECK.markdown(),
        "reports": config.REPORTS.markdown(),
        "product_lines": config.LINE.markdown(),
        "suppress": config.SUPPRESS.markdown(),
    }
    for kind, factory in sorted(registry.connectors.items()):
        out[f"tracker.{kind}"] = merge(config.TRACKER, factory.options,
                                       owner=factory.options.owner).markdown()
    rows = ["| rule | key | valid values | default | meaning |", "|---|---|---|---|---|"]
    common = OptionSchema(config.RULE).markdown().splitlines()[2:]
    rows += [f"| every rule {row}" for row in common]
    for rule_id, rule in sorted(registry.rules.items()):
        rows += [f"| `{rule_id}` {row}" for row in rule.options.markdown().splitlines()[2:]]
    out["rules"] = "\n".join(rows)
    return out


def render(readme: str, registry: Registry) -> str:
    generated = tables(registry)

    def fill(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in generated:
            raise KeyError(f"README asks for option table {name!r}; known: {', '.join(generated)}")
        return f"{match.group(1)}{generated[name]}\n{match.group(4)}"

    return BLOCK.sub(fill, readme)


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "README.md")
    text = path.read_text(encoding="utf-8")
    new = render(text, default_registry())
    if new != text:
        path.write_text(new, encoding="utf-8")
        print(f"{path}: option tables updated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
