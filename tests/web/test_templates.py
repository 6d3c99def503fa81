"""Each page's context is the dataclass next to its route: its template uses every field
and nothing else (besides what every page shares), and every HTML page extends base.html."""

from __future__ import annotations

import dataclasses

import pytest
from jinja2 import meta, nodes

from warroom.web import app as web_app  # noqa: F401  (registers every page)
from warroom.web.templating import COMMON, PAGES, environment


def stored(tree: nodes.Template) -> set[str]:
    """Names a template sets itself ({% set %}, {% for %}, {% import ... as m %})."""
    names = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    names |= {n.target for n in tree.find_all(nodes.Import)}  # type: ignore[misc]
    return names | {"m"}  # base.html imports the macros for every page


def variables(name: str, seen: set[str] | None = None) -> set[str]:
    """The names a template and the templates it extends, includes or imports read."""
    env = environment()
    seen = seen if seen is not None else set()
    if name in seen:
        return set()
    seen.add(name)
    source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
    tree = env.parse(source)
    found = set(meta.find_undeclared_variables(tree)) - stored(tree)
    for other in meta.find_referenced_templates(tree):
        if other:
            found |= variables(other, seen)
    return found


@pytest.mark.parametrize("cls", sorted(PAGES, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_it_renders_each_page_from_its_dataclass(cls: type) -> None:
    template = PAGES[cls]
    fields = {f.name for f in dataclasses.fields(cls)}
    used = variables(template)
    assert used - fields - set(COMMON) == set(), f"{template} reads undocumented names"
    env = environment()
    tree = env.parse(env.loader.get_source(env, template)[0])  # type: ignore[union-attr]
    own = meta.find_undeclared_variables(tree) - stored(tree)
    partials = {
        v
        for t in meta.find_referenced_templates(
            env.parse(
                env.loader.get_source(  # type: ignore[union-attr]
                    env, template
                )[0]
            )
        )
        if t and t.startswith("_")
        for v in variables(t)
    }
    assert fields - own - partials == set(), f"{cls.__name__} has fields {template} never shows"
    if template.endswith(".html"):
        source = env.loader.get_source(env, template)[0]  # type: ignore[union-attr]
        assert source.lstrip().startswith('{% extends "base.html" %}')


def test_it_keeps_the_templates_folder_flat_and_partials_underscored() -> None:
    from importlib.resources import files

    folder = files("warroom.web") / "templates"
    names = sorted(p.name for p in folder.iterdir())
    assert all(not (folder / n).is_dir() for n in names)
    pages = set(PAGES.values())
    for name in names:
        assert name in pages or name.startswith("_") or name == "base.html", name
