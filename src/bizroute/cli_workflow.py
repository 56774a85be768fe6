"""``bizroute graph``: draw a workflow (Mermaid, DOT or JSON), steps grouped by department."""

from __future__ import annotations

import click

from .cli import Failure, _date, as_of_option, cli, load, rules_option

FORMATS = ("mermaid", "dot", "json")


@cli.command()
@click.argument("name", metavar="WORKFLOW|CATEGORY")
@rules_option
@as_of_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="mermaid",
              show_default=True, help="mermaid renders on GitHub and GitLab; dot is Graphviz.")
@click.option("--fence", is_flag=True,
              help="Wrap Mermaid output in a ```mermaid fence, ready for Markdown.")
def graph(name: str, rules: str | None, as_of: str | None, fmt: str, fence: bool) -> None:
    """Draw the workflow WORKFLOW, or the workflow of category CATEGORY.

    绘制业务流程图：按部门分组的步骤、依赖与关键路径。
    """
    from .workflow import to_dot, to_json, to_mermaid

    day = _date(as_of)
    pack = load(rules)
    workflow_id = name
    category = pack.category(name, day)
    if name not in pack.workflows and category is not None:
        if category.workflow is None:
            raise Failure(f"category {name!r} has no workflow")
        workflow_id = category.workflow
    try:
        g = pack.workflow(workflow_id, day)
    except KeyError:
        known = ", ".join(sorted(pack.workflows)) or "none"
        raise Failure(f"no workflow or category {name!r} in force (workflows: {known})") from None
    if fmt == "mermaid":
        text = to_mermaid(g)
        click.echo(f"```mermaid\n{text}```\n" if fence else text, nl=False)
    elif fmt == "dot":
        click.echo(to_dot(g), nl=False)
    else:
        click.echo(to_json(g), nl=False)
