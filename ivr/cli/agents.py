"""CLI: agents (the call-centre agents' and supervisors' accounts)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ivr.agents import accounts as accounts
from ivr.web.extension import current_runtime

agents = AppGroup("agents", help="Create, disable and list the call-centre agents' and supervisors' accounts.")


@agents.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(accounts.ROLES),
    default=accounts.AGENT,
    show_default=True,
    help="supervisor: also sees the campaign's pages (/supervisor).",
)
def create_command(name: str, role: str) -> None:
    """Create an agent (or a supervisor) and print their token, once: it is stored only as a digest."""
    try:
        agent, token = accounts.create_agent(current_runtime(), name, role)
    except accounts.AgentError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{role} {agent.name!r} created; their token (shown only now, give it to them privately):")
    click.echo(token)


@agents.command("disable")
@click.argument("name")
def disable_command(name: str) -> None:
    """Disable an agent: their token and console sessions stop working at once."""
    try:
        changed = accounts.disable_agent(current_runtime(), name)
    except accounts.AgentError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"agent {name!r} {'disabled' if changed else 'was already disabled'}")


@agents.command("list")
def list_command() -> None:
    """List the agents: name, active or disabled, since when, and role (agent or supervisor)."""
    found = accounts.list_agents(current_runtime())
    if not found:
        click.echo("no agents yet: flask --app app agents create NAME")
    for agent in found:
        state = f"disabled {agent.disabled_at:%Y-%m-%d %H:%M}" if not agent.active else "active"
        click.echo(f"{agent.name}\t{state}\tcreated {agent.created_at:%Y-%m-%d %H:%M}\t{agent.role}")
