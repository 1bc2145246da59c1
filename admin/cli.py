"""The one ``paypages`` command: database, owners, tokens, pages, serving."""

import logging
import sys
import threading

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select

from admin import ConfigError, create_app, mail, publishing, tokens
from admin.auth import create_owner, find_owner
from admin.db import db
from admin.demo import demo
from admin.models import ApiToken, Invoice, Owner


def _make_app():
    try:
        return create_app(local_demo=True)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(
    cls=FlaskGroup,
    create_app=_make_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
)
def cli():
    """paypages: invoices with an unguessable payment page each."""


# Settings come from PAYPAGES_* variables; Flask's own --app, --env-file and
# --debug would only confuse.
cli.params = [p for p in cli.params if p.name not in ("app", "env_file", "debug")]


def main() -> None:
    """Run the ``paypages`` command."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    cli.main(prog_name="paypages")


def _count(number: int, noun: str) -> str:
    return f"{number:>6} {noun}{'' if number == 1 else 's'}"


def _owner(email: str) -> Owner:
    owner = find_owner(email)
    if owner is None:
        raise click.ClickException(f"No owner with the email {email!r}.")
    return owner


@click.group()
def owners():
    """Manage owner accounts."""


@owners.command("create")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@with_appcontext
def owners_create(email: str, password_stdin: bool):
    """Create an owner account."""
    from admin.forms import SignUpForm

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with current_app.test_request_context():
        form = SignUpForm(
            formdata=None,
            data={"email": email, "password": password},
            meta={"csrf": False},
        )
        if not form.validate():
            name = next(iter(form.errors))
            raise click.ClickException(f"{name}: {form.errors[name][0]}")
    if find_owner(form.email.data):
        raise click.ClickException(f"An owner with the email {email!r} exists.")
    create_owner(form.email.data, password)
    db.session.commit()
    click.echo(f"Created the owner {form.email.data}.")


@owners.command("list")
@with_appcontext
def owners_list():
    """List owners with their invoices and email standing."""
    counts = dict(
        db.session.execute(
            select(Invoice.owner_id, func.count()).group_by(Invoice.owner_id)
        ).all()
    )
    for owner in db.session.scalars(select(Owner).order_by(Owner.id)):
        standing = mail.standing(owner)
        click.echo(
            f"{owner.id:>4}  {owner.email:<40} "
            f"{_count(counts.get(owner.id, 0), 'invoice')}  "
            f"{standing.summary}"
        )


@owners.command("validate")
@click.argument("email")
@with_appcontext
def owners_validate(email: str):
    """Let an owner's clients be emailed automatically."""
    owner = _owner(email)
    owner.validated = True
    owner.suspended = False
    db.session.commit()
    click.echo(f"Validated {owner.email}: its clients are now emailed automatically.")


@owners.command("suspend")
@click.argument("email")
@with_appcontext
def owners_suspend(email: str):
    """Take automatic email away from an owner, whatever its paid invoices."""
    owner = _owner(email)
    owner.suspended = True
    db.session.commit()
    click.echo(f"Suspended automatic email for {owner.email}.")


@click.group("tokens")
def tokens_group():
    """Manage API tokens."""


@tokens_group.command("create")
@click.argument("email")
@click.option("--name", default="", help="A name to tell the token by.")
@with_appcontext
def tokens_create(email: str, name: str):
    """Make an API token for an owner and print it once."""
    row, secret = tokens.create(_owner(email), name)
    click.echo(
        f"Made token {row.id} for {email}; it is shown only this once:", err=True
    )
    click.echo(secret)


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def tokens_revoke(token_id: int):
    """Revoke an API token by its id."""
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise click.ClickException(f"No token with the id {token_id}.")
    tokens.revoke(row)
    click.echo(f"Revoked token {token_id}.")


@click.command("rebuild")
@with_appcontext
def rebuild():
    """Rebuild every page from content/, for theme or settings changes."""
    from site_gen import PageError

    site = publishing.site()
    with click.progressbar(length=len(site.tokens()), label="Rebuilding pages") as bar:
        try:
            count = site.rebuild_all(progress=bar.update)
        except PageError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Rebuilt {count} pages; `paypages publish --all` uploads them.")


@click.command("publish")
@click.option("--pending", "mode", flag_value="pending", help="Retry failed pages.")
@click.option("--all", "mode", flag_value="all", help="Make the target match output/.")
@with_appcontext
def publish(mode: str | None):
    """Publish pages: retry the pending ones, or sync the whole target."""
    from site_gen import PublishError

    if mode == "pending":
        done, left = publishing.publish_pending()
        click.echo(f"Published {done} pages; {left} still pending.")
        if left:
            raise click.ClickException("Some pages are still pending; see the admin.")
    elif mode == "all":
        try:
            result = publishing.site().publish_all()
        except PublishError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(
            f"Uploaded {len(result.uploaded)} objects, deleted "
            f"{len(result.deleted)}, left {result.unchanged} unchanged."
        )
    else:
        raise click.UsageError("Say --pending or --all.")


@click.group()
def storage():
    """Object storage helpers."""


@storage.command("policy")
@with_appcontext
def storage_policy():
    """Print a bucket policy: public GET under the prefix, no listing."""
    import json

    try:
        policy = publishing.site().bucket_policy()
    except ValueError as exc:
        raise click.ClickException(
            f"{exc} Set it to the bucket, e.g. PAYPAGES_PUBLISH_URL=s3://bucket/pages."
        ) from exc
    click.echo(json.dumps(policy, indent=2))


@click.command("settings")
def settings_table():
    """Print every PAYPAGES_* setting as a Markdown table."""
    from admin.settings import SETTINGS

    click.echo("| setting | default | meaning |\n| --- | --- | --- |")
    for name, (default, meaning) in SETTINGS.items():
        shown = "—" if default is None else f"`{default}`"
        click.echo(f"| `PAYPAGES_{name}` | {shown} | {meaning} |")


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--admin-port", default=8000, show_default=True)
@click.option("--pages-port", default=8001, show_default=True)
@with_appcontext
def run(host: str, admin_port: int, pages_port: int):
    """Serve the admin and, for a local folder target, the published pages."""
    from werkzeug.serving import make_server

    from admin.pages_server import QuietRequestHandler, local_folder, pages_app

    app = current_app._get_current_object()
    servers = [make_server(host, admin_port, app, threaded=True)]
    folder = local_folder(app.config["PUBLISH_URL"])
    if folder is not None:
        servers.append(
            make_server(
                host,
                pages_port,
                pages_app(folder),
                threaded=True,
                request_handler=QuietRequestHandler,
            )
        )
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    click.echo(f"Admin:  http://{host}:{admin_port}/")
    if folder is not None:
        click.echo(f"Pages:  http://{host}:{pages_port}/  (from {folder})")
    if app.config.get("SMTP_URL"):
        click.echo("Mail:   sent through PAYPAGES_SMTP_URL")
    else:
        click.echo(f"Mail:   saved to {app.config['MAILDIR']} (no SMTP set)")
    click.echo("Press Ctrl-C to stop.")
    try:
        servers[0].serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        for server in servers:
            server.server_close()


def init_app(app) -> None:
    """Add the paypages commands to the app's command group."""
    for command in (
        owners,
        tokens_group,
        rebuild,
        publish,
        storage,
        settings_table,
        run,
        demo,
    ):
        app.cli.add_command(command)
    mail.register_cli(app.cli)
